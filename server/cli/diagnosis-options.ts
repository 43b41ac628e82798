// --execution-timeout, --state-network-timeout and --large-session-kb: the web.config settings
// the diagnoses measure against. Shared by the proxy, demo and open commands.
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_THRESHOLDS, type DiagnosisThresholds } from '../capture/diagnosis.ts';

export interface DiagnosisOptionValues {
  executionTimeout: number;
  stateNetworkTimeout: number;
  largeSessionKb: number;
}

function positive(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number, got "${value}"`);
    return n;
  };
}

export function addDiagnosisOptions(command: Command): Command {
  return command
    .option(
      '--execution-timeout <seconds>',
      'your httpRuntime executionTimeout: locks this old are orphaned (ASP.NET breaks them)',
      positive('--execution-timeout'),
      DEFAULT_THRESHOLDS.executionTimeoutSeconds,
    )
    .option(
      '--state-network-timeout <seconds>',
      'your sessionState stateNetworkTimeout: replies near it fail pages',
      positive('--state-network-timeout'),
      DEFAULT_THRESHOLDS.stateNetworkTimeoutSeconds,
    )
    .option('--large-session-kb <kb>', 'sessions above this size are reported as large', positive('--large-session-kb'), DEFAULT_THRESHOLDS.largeSessionKb);
}

export function thresholdsFrom(opts: DiagnosisOptionValues): DiagnosisThresholds {
  return {
    executionTimeoutSeconds: opts.executionTimeout,
    stateNetworkTimeoutSeconds: opts.stateNetworkTimeout,
    largeSessionKb: opts.largeSessionKb,
  };
}
