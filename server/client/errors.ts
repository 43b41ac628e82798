// The three failures the real client (OutOfProcSessionStateStore) turns into exceptions, with
// the exact texts of System.Web.txt (protocol notes §7.3). Tests and the load report compare
// these strings verbatim, so do not reflow them: Cant_make_session_request keeps its two
// double spaces.

export type StateClientErrorCode = 'need_v2_state_server' | 'cant_make_session_request' | 'bad_state_server_request';

/** `lastPhase` values of the native SessionNDMakeRequest (protocol notes §7.2). */
export type RequestPhase =
  | 'Initialization'
  | 'Connecting to the state server'
  | 'Sending request to the state server'
  | 'Reading response from the state server';

export const NEED_V2_STATE_SERVER =
  'Unable to use session state server because this version of ASP.NET requires session state server version 2.0 or above.';

export const CANT_MAKE_SESSION_REQUEST =
  'Unable to make the session state request to the session state server. Please ensure that the ASP.NET State service is started and that the client and server ports are the same.  If the server is on a remote machine, please ensure that it accepts remote requests by checking the value of HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\aspnet_state\\Parameters\\AllowRemoteConnection.  If the server is on the local machine, and if the before mentioned registry value does not exist or is set to 0, then the state server connection string must use either \'localhost\' or \'127.0.0.1\' as the server name.';

export const BAD_STATE_SERVER_REQUEST =
  'Unable to make the session state request to the session state server. The session state server is running, but the request is not formatted correctly.';

const MESSAGES: Record<StateClientErrorCode, string> = {
  need_v2_state_server: NEED_V2_STATE_SERVER,
  cant_make_session_request: CANT_MAKE_SESSION_REQUEST,
  bad_state_server_request: BAD_STATE_SERVER_REQUEST,
};

export interface StateClientErrorDetails {
  phase?: RequestPhase;
  /** What went wrong underneath (socket error, timeout, unparseable reply). */
  cause?: unknown;
  /** The reply status when the server did answer (400, or the answer that failed the version check). */
  status?: number;
  /** Bytes of the request that was being made (the event log's "size of outgoing data"). */
  requestBytes?: number;
}

export class StateClientError extends Error {
  readonly code: StateClientErrorCode;
  readonly phase?: RequestPhase;
  readonly status?: number;
  readonly requestBytes?: number;

  constructor(code: StateClientErrorCode, details: StateClientErrorDetails = {}) {
    super(MESSAGES[code], details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'StateClientError';
    this.code = code;
    if (details.phase !== undefined) this.phase = details.phase;
    if (details.status !== undefined) this.status = details.status;
    if (details.requestBytes !== undefined) this.requestBytes = details.requestBytes;
  }

  /**
   * The health-monitoring event text (State_Server_detailed_error) with a Node error code in
   * place of the HRESULT, for logs; `message` stays the exception text.
   */
  get detail(): string {
    const cause = this.cause as { code?: unknown; message?: unknown } | undefined;
    const reason = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : 'unknown';
    return `Unable to make the session state request to the session state server. Details: last phase='${this.phase ?? 'Initialization'}', error code=${reason}, size of outgoing data=${this.requestBytes ?? 0}`;
  }
}

export function isStateClientError(error: unknown): error is StateClientError {
  return error instanceof StateClientError;
}
