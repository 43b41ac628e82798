// Embedded state server that answers like Microsoft's aspnet_state (protocol notes §5–§6).
// Used by `statescope server`, by the proxy's tests as an upstream, and by the client emulator.
export {
  startStateServer,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_STORED_BYTES,
  DEFAULT_STATE_SERVER_HOST,
  DEFAULT_STATE_SERVER_PORT,
  DEFAULT_VERSION_HEADER,
  type RunningStateServer,
  type StateServerOptions,
} from './server.ts';
export { localDotNetTicks } from './ticks.ts';
