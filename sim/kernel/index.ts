export { Env, type EventHandle, Priority } from './env';
export { EventQueue } from './event-queue';
export {
  Condition,
  Interrupt,
  Process,
  ProcessEnv,
  type ProcessGenerator,
  SimEvent,
  type Timeout,
} from './process';
export { Request, Resource } from './resource';
export { createRng, type Rng } from './rng';
export { Store } from './store';
