// `statescope open FILE`: a saved capture (a --log JSONL file, Export JSONL or Export HAR) in
// the same dashboard, read-only. Damaged lines are reported and skipped; the rest opens.
import path from 'node:path';
import { Option, type Command } from 'commander';
import { ReadOnlyCapture } from '../capture/read-only-capture.ts';
import { loadSavedCapture, SavedCaptureError, type LoadReport } from '../capture/saved-capture.ts';
import { formatHostPort, hostPortOption, parseHostPort, type HostPort } from './address.ts';
import { addDiagnosisOptions, thresholdsFrom, type DiagnosisOptionValues } from './diagnosis-options.ts';
import { DEFAULT_DASHBOARD_LISTEN, positiveInt, positiveNumber } from './proxy-command.ts';
import { remoteDashboardUrls } from './remote-dashboard-urls.ts';
import { onShutdownSignal } from './shutdown.ts';
import { VERSION } from './version.ts';
import { APP_DEFAULTS, MIB } from './statescope-app.ts';

interface OpenOptions extends DiagnosisOptionValues {
  dashboard: HostPort;
  token?: string;
  maxExchanges: number;
  maxCaptureMb: number;
}

export function registerOpenCommand(program: Command): void {
  const command = program
    .command('open')
    .argument('<file>', 'a JSONL capture log (--log FILE, FILE.1, Export JSONL) or a HAR file from Export HAR')
    .description('open a saved capture in the dashboard, read-only')
    .addOption(
      new Option('--dashboard <host:port>', 'where the dashboard listens (loopback by default; other addresses require a token)')
        .argParser(hostPortOption())
        .default(parseHostPort(DEFAULT_DASHBOARD_LISTEN), DEFAULT_DASHBOARD_LISTEN),
    )
    .option('--token <token>', 'dashboard access token (generated when --dashboard is not loopback)')
    .option('--max-exchanges <n>', 'exchanges kept in memory (the newest; stats count them all)', positiveInt('--max-exchanges'), APP_DEFAULTS.maxExchanges)
    .option('--max-capture-mb <mb>', 'memory ceiling of the kept exchanges, in MiB', positiveNumber('--max-capture-mb'), APP_DEFAULTS.maxCaptureBytes / MIB);
  addDiagnosisOptions(command)
    .addHelpText(
      'after',
      `
The format is read from the content (.har files are always read as HAR). Lines or entries
that cannot be read are listed with their line or entry number and skipped.

Examples:
  statescope open capture.jsonl
  statescope open capture.jsonl.1 --dashboard 127.0.0.1:0
  statescope open statescope-2024-05-01T10-00-00-000Z.har`,
    )
    .action(async (file: string, opts: OpenOptions, command: Command) => {
      const capture = new ReadOnlyCapture({
        source: path.basename(file),
        version: VERSION,
        limits: { maxCount: opts.maxExchanges, maxBytes: Math.round(opts.maxCaptureMb * 1024 * 1024) },
        thresholds: thresholdsFrom(opts),
      });
      let report: LoadReport;
      try {
        report = await loadSavedCapture(file, (record) => capture.add(record));
      } catch (err) {
        if (err instanceof SavedCaptureError) command.error(`statescope open: ${err.message}`, { exitCode: 1 });
        throw err;
      }
      printReport(file, report, capture);

      // Imported here, not at load: ws is only needed once a dashboard starts.
      const { startDashboard } = await import('../dashboard/index.ts');
      let dashboard;
      try {
        dashboard = await startDashboard({ host: opts.dashboard.host, port: opts.dashboard.port, source: capture, token: opts.token });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        const hint = e.code === 'EADDRINUSE' ? ' (is statescope already running there? pick another with --dashboard HOST:PORT)' : '';
        command.error(`statescope open: cannot listen on ${formatHostPort(opts.dashboard)}: ${e.message}${hint}`, { exitCode: 1 });
      }
      onShutdownSignal(async () => {
        await dashboard.close();
      });
      process.stdout.write(`statescope dashboard: ${dashboard.url}\n${remoteDashboardUrls(dashboard.url, opts.dashboard.host).map((u) => `  from another machine: ${u}\n`).join('')}`);
    });
}

function printReport(file: string, report: LoadReport, capture: ReadOnlyCapture): void {
  const warn = (line: string) => process.stderr.write(`statescope: ${line}\n`);
  for (const p of report.problems) warn(`${file} ${p.where}: ${p.message} (skipped)`);
  if (report.problemCount > report.problems.length) warn(`${file}: ${report.problemCount - report.problems.length} more problems not listed`);
  for (const note of report.notes) warn(`${file}: ${note}`);
  const kept = capture.evicted > 0 ? `, the newest ${capture.loaded - capture.evicted} kept in memory (--max-exchanges / --max-capture-mb)` : '';
  const skipped = report.problemCount > 0 ? `, ${report.problemCount} skipped` : '';
  process.stdout.write(
    `statescope opened ${file} (${report.format === 'har' ? 'HAR' : 'JSONL'}, read-only): ${report.records} exchanges${skipped}${kept}\n`,
  );
}
