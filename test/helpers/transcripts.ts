// Loads the protocol test vectors kept in the repository (test/fixtures/transcripts.json).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const transcriptsPath = path.resolve(repoRoot, 'test', 'fixtures', 'transcripts.json');

interface RawMessage {
  head: string;
  bodyHex: string;
}

interface RawExchange {
  name: string;
  summary: string;
  variant?: boolean;
  request: RawMessage | null;
  response: RawMessage;
  responseAfterInjection?: RawMessage;
}

export interface Message {
  head: Buffer;
  body: Buffer;
  bytes: Buffer;
}

export interface Transcript {
  name: string;
  request: Message | null;
  response: Message;
  responseAfterInjection: Message | null;
}

export interface TranscriptFile {
  common: { appId: string; appIdHashSha256Base64: string; sessionId: string; target: string; decodedTarget: string; serverVersion: string };
  exchanges: Transcript[];
}

function toMessage(m: RawMessage): Message {
  const head = Buffer.from(m.head, 'latin1');
  const body = Buffer.from(m.bodyHex, 'hex');
  return { head, body, bytes: Buffer.concat([head, body]) };
}

export function loadTranscripts(): TranscriptFile {
  const json = JSON.parse(readFileSync(transcriptsPath, 'utf8')) as { common: TranscriptFile['common']; exchanges: RawExchange[] };
  return {
    common: json.common,
    exchanges: json.exchanges.map((e) => ({
      name: e.name,
      request: e.request ? toMessage(e.request) : null,
      response: toMessage(e.response),
      responseAfterInjection: e.responseAfterInjection ? toMessage(e.responseAfterInjection) : null,
    })),
  };
}

export function transcript(name: string): Transcript {
  const found = loadTranscripts().exchanges.find((e) => e.name.startsWith(name));
  if (!found) throw new Error(`no transcript ${name}`);
  return found;
}
