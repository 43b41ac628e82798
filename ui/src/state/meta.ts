// Everything about the proxy that is not the exchange list: its state, statistics and
// diagnoses (from the server), and the health of our connection to the dashboard server.
import type { Diagnosis, ProxyState, StatsSnapshot } from '../../../server/capture/wire-types.ts';
import { createSlice } from './slice.ts';

export type ConnectionStatus = 'connecting' | 'live' | 'reconnecting' | 'unauthorized';

export const proxyState = createSlice<ProxyState | null>(null);
export const stats = createSlice<StatsSnapshot | null>(null);
export const diagnoses = createSlice<Diagnosis[]>([]);
export interface ConnectionInfo {
  status: ConnectionStatus;
  detail: string | null;
  /** 'unauthorized' although we sent a token: the token is wrong. */
  rejected: boolean;
}

export const connection = createSlice<ConnectionInfo>({ status: 'connecting', detail: null, rejected: false });
/** Last failed control action, shown near the header controls. */
export const controlError = createSlice<string | null>(null);
