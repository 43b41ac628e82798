// Risk: `statescope service install` writes a WinSW configuration that Windows runs differently
// from what the operator typed (an argument split at a space in "C:\Program Files", a quote or
// an ampersand breaking the XML), that kills statescope before its graceful stop, or that logs
// nowhere. WinSW itself needs Windows and .NET, so what is tested here is the file it reads:
// its elements, and its command line read back with the Windows rules and run.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { quoteWindowsArgument } from '../../server/service/winsw-config.ts';
import { CLI, runCli, runProgram, startProgram, type CliProcess } from '../helpers/cli.ts';

let proc: CliProcess | null = null;
afterEach(async () => {
  await proc?.stop();
  proc = null;
});

/** Reads a command line back as the Microsoft C runtime does (written here independently). */
function parseWindowsCommandLine(line: string): string[] {
  const args: string[] = [];
  let current = '';
  let inArg = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '\\') {
      let n = 0;
      while (line[i] === '\\') {
        n++;
        i++;
      }
      if (line[i] === '"') {
        current += '\\'.repeat(Math.floor(n / 2));
        if (n % 2 === 1) current += '"';
        else {
          quoted = !quoted;
        }
      } else {
        current += '\\'.repeat(n);
        i--;
      }
      inArg = true;
    } else if (ch === '"') {
      quoted = !quoted;
      inArg = true;
    } else if (/\s/.test(ch) && !quoted) {
      if (inArg) args.push(current);
      current = '';
      inArg = false;
    } else {
      current += ch;
      inArg = true;
    }
  }
  if (inArg) args.push(current);
  return args;
}

function elements(xml: string, name: string): string[] {
  const unescape = (t: string) => t.replace(/&(lt|gt|quot|apos|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e]!);
  return [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => unescape(m[1]!));
}

async function dryRun(args: string[]): Promise<string> {
  const env = { ...process.env, ProgramData: 'C:\\ProgramData' };
  const r = await runProgram(process.execPath, [CLI, 'service', 'install', ...args, '--dry-run'], { env });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const xml = /--- statescope-service\.xml \(in [^)]*\)\n([\s\S]*?<\/service>\r\n)/.exec(r.stdout)?.[1];
  expect(xml, r.stdout).toBeDefined();
  return xml!;
}

describe('Windows command-line quoting', () => {
  it.each([
    ['plain'],
    ['C:\\Program Files\\statescope\\statescope.exe'],
    ['--log=C:\\Users\\ops\\My Logs\\capture.jsonl'],
    ['ends with a backslash\\'],
    ['a "quoted" word'],
    ['\\\\server\\share\\'],
    ['back\\\\"slashes'],
    [''],
  ])('%j survives', (arg) => {
    expect(parseWindowsCommandLine(`x ${quoteWindowsArgument(arg)} y`)).toEqual(['x', arg, 'y']);
  });
});

describe('statescope service install', () => {
  it('runs "statescope proxy" with exactly the options typed, logs to %ProgramData%\\statescope, and outwaits the graceful stop', async () => {
    const xml = await dryRun(['--upstream', '10.0.0.5', '--listen', '0.0.0.0:42425', '--inject-version', '--token', 'a b"&<c', '--shutdown-grace', '8']);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(elements(xml, 'id')).toEqual(['statescope']);
    expect(elements(xml, 'executable')).toEqual([process.execPath]);
    const args = parseWindowsCommandLine(elements(xml, 'arguments')[0]!);
    expect(args.slice(1)).toEqual([
      'proxy',
      '--upstream=10.0.0.5',
      '--listen=0.0.0.0:42425',
      '--inject-version',
      '--token=a b"&<c',
      '--shutdown-grace=8',
      '--log=C:\\ProgramData\\statescope\\exchanges.jsonl',
    ]);
    expect(elements(xml, 'logpath')).toEqual(['C:\\ProgramData\\statescope']);
    expect(elements(xml, 'workingdirectory')).toEqual(['C:\\ProgramData\\statescope']);
    expect(elements(xml, 'stopparentprocessfirst')).toEqual(['true']);
    expect(elements(xml, 'stoptimeout')).toEqual(['18sec']); // longer than --shutdown-grace 8
    expect(elements(xml, 'startmode')).toEqual(['Automatic']);
    expect(xml).toContain('<onfailure action="restart"');
    expect(xml).not.toMatch(/&(?!amp;|lt;|gt;|quot;|apos;)/); // every & escaped
  });

  it('keeps a --log the operator chose, and a --service-dir', async () => {
    const xml = await dryRun(['--log', 'D:\\logs\\state.jsonl', '--service-dir', 'D:\\statescope']);
    const args = parseWindowsCommandLine(elements(xml, 'arguments')[0]!);
    expect(args.filter((a) => a.startsWith('--log'))).toEqual(['--log=D:\\logs\\state.jsonl']);
    expect(elements(xml, 'logpath')).toEqual(['D:\\statescope']);
  });

  it('the command line it writes starts a working proxy', async () => {
    const log = path.join(mkdtempSync(path.join(tmpdir(), 'statescope-svc-')), 'exchanges.jsonl');
    const xml = await dryRun(['--listen', '127.0.0.1:0', '--dashboard', '127.0.0.1:0', '--log', log]);
    const [script, ...args] = parseWindowsCommandLine(elements(xml, 'arguments')[0]!);
    proc = startProgram(elements(xml, 'executable')[0]!, [script!, ...args]);
    await proc.waitForOutput(/proxy listening on 127\.0\.0\.1:\d+/);
    await proc.waitForOutput(new RegExp(`statescope log: ${log.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect(await proc.stop('SIGINT')).toBe(0);
    expect(readFileSync(log, 'utf8')).toBe('');
  });

  it('refuses bad proxy options before writing anything, and says where services exist', async () => {
    const bad = await runCli(['service', 'install', '--upstream', 'a:b:c', '--dry-run']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^statescope service install: .*--upstream.*\(see statescope service install --help\)\n$/);
    if (process.platform !== 'win32') {
      const start = await runCli(['service', 'start']);
      expect(start.code).toBe(1);
      expect(start.stderr).toMatch(/Windows services exist on Windows only/);
    }
  });
});
