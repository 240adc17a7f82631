export { type FlowDone, FlowNetwork } from './flow-network';
