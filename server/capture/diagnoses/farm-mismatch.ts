// Web-farm key mismatches. A session is stored under "appId(appHash)/sessionId", so web servers
// that should share sessions must agree on the app id (IIS site id and path, case included) and
// on the hash (same framework generation, same machine key). Four diagnoses:
//  - farm-site-id-mismatch: one session id under app ids that differ only in /LM/W3SVC/<site id>/
//  - farm-app-path-case:   app ids that differ only in case
//  - farm-hash-mismatch:   one app id under different hashes, with which web servers send which
//  - mixed-app-hashes:     one session id under two keys that differ in some other way
import type { Diagnosis, DiagnosisId, ExchangeRecord } from '../wire-types.ts';
import type { SessionSlot } from './session-slots.ts';
import { BoundedMap } from './bounded-map.ts';
import { ClientHosts, Finding, recordTime, type DiagnosisRule } from './rule.ts';

const MAX_SESSIONS_TRACKED = 10_000;
const MAX_APPS_TRACKED = 1000;
const MAX_HOSTS_NAMED = 8;
/** .NET 4.5+: Base64 of SHA-256, 44 characters. Older: a machine-key hash, 28 characters. */
const SHA256_HASH_LENGTH = 44;

interface FirstKey {
  appId: string;
  appHash: string | null;
  host: string;
  id: number;
}

interface HashSeen {
  hosts: Set<string>;
  firstId: number;
  count: number;
}

interface AppSeen {
  lower: string;
  siteless: string | null;
  hashes: Map<string, HashSeen>;
  firstId: number;
  hosts: Set<string>;
  /** The spellings of this app id seen (shared by all of them; see `spellings`). */
  spellings: string[];
}

interface Example {
  a: string;
  b: string;
  hostsA: Set<string>;
  hostsB: Set<string>;
}

const SITE_ID = /^\/LM\/W3SVC\/\d+\//i;

export class FarmMismatchRules implements DiagnosisRule {
  private readonly sessions = new BoundedMap<string, FirstKey>(MAX_SESSIONS_TRACKED);
  private readonly apps = new BoundedMap<string, AppSeen>(MAX_APPS_TRACKED);
  /** lower-cased app id -> the spellings seen. */
  private readonly spellings = new BoundedMap<string, string[]>(MAX_APPS_TRACKED);
  private findings = new Map<DiagnosisId, Finding>();
  private examples = new Map<DiagnosisId, Example>();
  private readonly hostsOf = new ClientHosts();

  observe(record: ExchangeRecord, slot: SessionSlot | null): void {
    const req = record.request;
    if (req === null || req.appId === null) return;
    // Keys are decided the first time a session key (appId(hash)/sessionId) or a connection is
    // seen; every later record of the same key and connection only keeps its finding fresh.
    if (slot !== null && slot.createdBy !== record.id && this.hostsOf.has(record.connectionId)) {
      const f = slot.farmFinding;
      if (f !== null) {
        f.count++;
        f.lastAt = recordTime(record);
      }
      return;
    }
    const appId = req.appId;
    const host = this.hostsOf.of(record);
    const at = recordTime(record);
    const app = this.appOf(appId, record.id);
    if (app.hosts.size < MAX_HOSTS_NAMED) app.hosts.add(host);
    this.checkHash(app, req.appHash ?? '', host, at, record.id, slot);
    this.checkCase(app, appId, at, record.id, slot);
    const sessionId = req.sessionId;
    if (!sessionId) return;
    const first = this.sessions.get(sessionId);
    if (first === undefined) {
      this.sessions.set(sessionId, { appId, appHash: req.appHash, host, id: record.id });
      return;
    }
    if (first.appId === appId) return; // same app id: a different hash is farm-hash-mismatch's
    const firstApp = this.apps.get(first.appId);
    let id: DiagnosisId = 'mixed-app-hashes';
    if (app.siteless !== null && firstApp?.siteless === app.siteless) id = 'farm-site-id-mismatch';
    else if (firstApp?.lower === app.lower) return; // reported by checkCase, app by app
    this.hit(id, at, first.id, record.id);
    if (slot !== null) slot.farmFinding ??= this.finding(id);
    this.example(id, first.appId, appId, firstApp?.hosts ?? new Set([first.host]), app.hosts);
  }

  private appOf(appId: string, id: number): AppSeen {
    let app = this.apps.get(appId);
    if (app === undefined) {
      // Once per app id: string work stays off the per-record path.
      const siteless = SITE_ID.test(appId) ? appId.replace(SITE_ID, '/LM/W3SVC/*/') : null;
      const lower = appId.toLowerCase();
      let spellings = this.spellings.get(lower);
      if (spellings === undefined) this.spellings.set(lower, (spellings = [appId]));
      else if (spellings.length < 8 && !spellings.includes(appId)) spellings.push(appId);
      app = { lower, siteless, hashes: new Map(), firstId: id, hosts: new Set(), spellings };
      this.apps.set(appId, app);
    }
    return app;
  }

  private checkHash(app: AppSeen, hash: string, host: string, at: number, id: number, slot: SessionSlot | null): void {
    let seen = app.hashes.get(hash);
    if (seen === undefined) {
      if (app.hashes.size >= 8) return;
      app.hashes.set(hash, (seen = { hosts: new Set(), firstId: id, count: 0 }));
    }
    seen.count++;
    if (seen.hosts.size < MAX_HOSTS_NAMED) seen.hosts.add(host);
    if (app.hashes.size < 2) return;
    this.hit('farm-hash-mismatch', at, id);
    if (slot !== null) slot.farmFinding ??= this.finding('farm-hash-mismatch');
  }

  private checkCase(app: AppSeen, appId: string, at: number, id: number, slot: SessionSlot | null): void {
    const spellings = app.spellings;
    if (spellings.length < 2) return;
    this.hit('farm-app-path-case', at, id);
    if (slot !== null) slot.farmFinding ??= this.finding('farm-app-path-case');
    const other = spellings.find((s) => s !== appId) ?? appId;
    this.example('farm-app-path-case', other, appId, this.apps.get(other)?.hosts ?? new Set(), app.hosts);
  }

  private finding(id: DiagnosisId): Finding {
    let f = this.findings.get(id);
    if (f === undefined) this.findings.set(id, (f = new Finding()));
    return f;
  }

  private hit(id: DiagnosisId, at: number, ...ids: number[]): void {
    this.finding(id).hit(at, ...ids);
  }

  private example(id: DiagnosisId, a: string, b: string, hostsA: Set<string>, hostsB: Set<string>): void {
    if (!this.examples.has(id)) this.examples.set(id, { a, b, hostsA, hostsB });
  }

  list(activeSince: number): Diagnosis[] {
    const out: Diagnosis[] = [];
    for (const [id, f] of this.findings) {
      if (!f.active(activeSince)) continue;
      const d = f.toDiagnosis(id, this.describe(id));
      if (id === 'farm-hash-mismatch' || id === 'farm-app-path-case') d.evidence = this.firstOfEach(id, d.evidence);
      out.push(d);
    }
    return out;
  }

  /** The first exchange of each hash or spelling, then the newest: both sides of the mismatch. */
  private firstOfEach(id: DiagnosisId, newest: number[]): number[] {
    const first: number[] = [];
    for (const app of this.apps.values()) {
      if (id === 'farm-hash-mismatch' && app.hashes.size > 1) for (const h of app.hashes.values()) first.push(h.firstId);
      if (id === 'farm-app-path-case' && app.spellings.length > 1) first.push(app.firstId);
    }
    return [...new Set([...first.slice(0, 4), ...newest])].slice(0, 8);
  }

  private describe(id: DiagnosisId): Pick<Diagnosis, 'severity' | 'title' | 'detail'> {
    const ex = this.examples.get(id);
    const lost = 'Web servers of one farm store the same user\'s session under different keys, so the user loses the session whenever the load balancer sends them to another server.';
    switch (id) {
      case 'farm-site-id-mismatch':
        return {
          severity: 'error',
          title: 'Web farm: the same session under different IIS site ids',
          detail:
            `One session id arrives as ${ex?.a} from ${hostList(ex?.hostsA)} and as ${ex?.b} from ${hostList(ex?.hostsB)}: the app ids differ only in the IIS site id (/LM/W3SVC/<id>/). ${lost} ` +
            'Cause: the site was created in a different order on each server, so IIS gave it another ID. Fix: give the site the same ID on every server (IIS Manager > Sites > Advanced Settings > ID, or appcmd set site /site.name:"NAME" /id:N), then recycle the app pools.',
        };
      case 'farm-app-path-case':
        return {
          severity: 'error',
          title: 'Web farm: app ids that differ only in case',
          detail:
            `${ex?.a} (from ${hostList(ex?.hostsA)}) and ${ex?.b} (from ${hostList(ex?.hostsB)}) differ only in upper/lower case, for example ROOT vs Root. The state server's key is case-sensitive. ${lost} ` +
            'Cause: the IIS application was created by hand or by different scripts on each server (the metabase path keeps that spelling). Fix: recreate the application (or edit <application path="..."> in applicationHost.config) with the same spelling on every server.',
        };
      case 'farm-hash-mismatch':
        return { severity: 'error', title: 'Web farm: one app id under different hashes', detail: `${this.hashDetail()} ${lost}` };
      default:
        return {
          severity: 'warning',
          title: 'One session id seen under two different app ids or hashes',
          detail:
            `One session id arrives as ${ex?.a} from ${hostList(ex?.hostsA)} and as ${ex?.b} from ${hostList(ex?.hostsB)}. ${lost} If these are different applications that share the session cookie on one host name, this is expected; otherwise make the servers agree on the IIS site and application path.`,
        };
    }
  }

  private hashDetail(): string {
    const parts: string[] = [];
    let lengths = new Set<number>();
    for (const [appId, app] of this.apps.entries()) {
      if (app.hashes.size < 2) continue;
      const hashes = [...app.hashes.entries()];
      lengths = new Set(hashes.map(([h]) => h.length));
      parts.push(`${appId}: ${hashes.map(([h, s]) => `${h} (${h.length} characters, from ${hostList(s.hosts)})`).join(' vs ')}`);
      if (parts.length >= 2) break;
    }
    let cause: string;
    if (lengths.has(SHA256_HASH_LENGTH) && lengths.size > 1) {
      cause =
        'Cause: mixed .NET Framework versions. 4.5 and later hash the app id with SHA-256 (44 characters); 2.0-4.0 use a 28-character hash made with the machine key. Fix: run the same framework version (4.5 or later) on every web server of the farm.';
    } else if (lengths.size === 1 && !lengths.has(SHA256_HASH_LENGTH)) {
      cause =
        'Cause: hashes of the same length made with different machine keys (pre-4.5 clients key the hash with the validation key). Fix: set the same <machineKey validationKey="..." decryptionKey="..."/> on every web server.';
    } else {
      cause = 'Cause: some server computes the hash differently (a custom provider or partition resolver). Fix: make every web server use the same framework version and configuration.';
    }
    return `${parts.join('; ')}. ${cause}`;
  }

  clear(): void {
    this.sessions.clear();
    this.apps.clear();
    this.spellings.clear();
    this.findings = new Map();
    this.examples = new Map();
  }
}

function hostList(hosts: Set<string> | undefined): string {
  return hosts && hosts.size > 0 ? [...hosts].join(', ') : 'unknown clients';
}
