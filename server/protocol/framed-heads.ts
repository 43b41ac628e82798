// The heads the framer reports. Their header list is made only when someone reads `headers`
// (the state server does, the relay mostly does not: it forwards the bytes and reads the few
// headers a record needs straight from `text`), then kept.
import { headerLinesOf } from './header-lines.ts';
import type { RawHeader } from './headers.ts';
import type { RequestHead, ResponseHead } from './messages.ts';

export class FramedRequestHead implements RequestHead {
  readonly kind = 'request';
  private parsedHeaders: RawHeader[] | null = null;

  constructor(
    readonly verb: string,
    readonly target: string,
    readonly version: string,
    readonly contentLength: number,
    readonly raw: Buffer,
    readonly text: string,
  ) {}

  get headers(): RawHeader[] {
    return (this.parsedHeaders ??= headerLinesOf(this.text));
  }
}

export class FramedResponseHead implements ResponseHead {
  readonly kind = 'response';
  private parsedHeaders: RawHeader[] | null = null;

  constructor(
    readonly protocol: string | null,
    readonly status: number,
    readonly reason: string,
    readonly contentLength: number | null,
    readonly bodyLength: number,
    readonly raw: Buffer,
    readonly text: string,
  ) {}

  get headers(): RawHeader[] {
    return (this.parsedHeaders ??= headerLinesOf(this.text));
  }
}
