import type { CommandResultEnvelope, ConfigReportedEnvelope } from '@causeway/shared';
import type { DeviceCommandRouter, ResultSink } from '../../src/commands/contract.js';

/** Records what would go to the outbox. */
export class RecordingResults implements ResultSink {
  readonly results: CommandResultEnvelope[] = [];
  readonly reports: ConfigReportedEnvelope[] = [];
  async sendResult(r: CommandResultEnvelope): Promise<void> {
    this.results.push(r);
  }
  async sendConfigReport(r: ConfigReportedEnvelope): Promise<void> {
    this.reports.push(r);
  }
  statuses(device?: string): string[] {
    return this.results.filter((r) => device === undefined || r.device === device).map((r) => r.status);
  }
}

/** A device router whose devices answer per a table; counts executions. */
export class TableRouter implements DeviceCommandRouter {
  readonly runs: Array<{ device: string; name: string }> = [];
  constructor(private readonly behaviour: Record<string, (args: Record<string, unknown>, signal: AbortSignal) => Promise<unknown>>) {}
  has(device: string): boolean {
    return Object.hasOwn(this.behaviour, device);
  }
  async execute(device: string, name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<unknown> {
    this.runs.push({ device, name });
    return this.behaviour[device]!(args, signal);
  }
}
