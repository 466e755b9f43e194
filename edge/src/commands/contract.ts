import type { CommandResultEnvelope, ConfigReportedEnvelope } from '@causeway/shared';

/**
 * What the command side needs from the rest of the agent. The outbox implements ResultSink (results
 * travel through it, so a result is not lost while the link is down); ingest implements
 * DeviceCommandRouter (a serial write with the reply matched, or a publish to a local MQTT sensor).
 */
export interface ResultSink {
  /** Resolves after the result is durably queued for the uplink. */
  sendResult(result: CommandResultEnvelope): Promise<void>;
  sendConfigReport(report: ConfigReportedEnvelope): Promise<void>;
}

export interface DeviceCommandRouter {
  /** Does this gateway know the device? */
  has(device: string): boolean;
  /** Runs a command on a device; resolves with its output or rejects with a CausewayError. */
  execute(device: string, name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<unknown>;
}

/** Commands addressed to the gateway itself (device id = gateway id, or a group/broadcast command). */
export type BuiltinCommand = (args: Record<string, unknown>, signal: AbortSignal) => Promise<unknown>;
