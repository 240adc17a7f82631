export { FlowNetwork } from './flow-network';
