export { Env, type EventHandle, Priority } from './env';
export { EventQueue, type ScheduledEvent } from './event-queue';
export { createRng, type Rng } from './rng';
