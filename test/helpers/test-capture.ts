// A LiveCapture with test defaults, fed by ingest() in place of a relay.
import { LiveCapture } from '../../server/capture/live-capture.ts';

export function testCapture(batchMs = 10, maxCount = 1000): LiveCapture {
  return new LiveCapture({
    listen: '127.0.0.1:42425',
    upstream: '127.0.0.1:42424',
    upstreamEmbedded: true,
    version: 'test',
    injection: { enabled: false, value: '4.0.30319' },
    captureBodiesBytes: 0,
    limits: { maxCount, maxBytes: 256 * 1024 * 1024 },
    batchMs,
  });
}
