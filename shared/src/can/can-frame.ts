/** One classic CAN frame (CAN FD is not handled: SLCAN and the J1939/OBD-II stacks here are classic CAN). */
export interface CanFrame {
  /** 11-bit (standard) or 29-bit (extended) identifier */
  id: number;
  extended: boolean;
  /** a remote (RTR) frame asks for data and carries none; `dlc` is the length asked for */
  remote: boolean;
  dlc: number;
  /** `dlc` bytes (empty for a remote frame) */
  data: Uint8Array;
  /** adapter timestamp when the source has one: SLCAN ms 0–59999 (wraps), candump seconds × 1000 */
  ts?: number;
}

/** Why a frame was refused; the source counts it as `malformed` with this detail. */
export interface CanFrameError {
  error: string;
}

export const MAX_STD_ID = 0x7ff;
export const MAX_EXT_ID = 0x1fffffff;

/** `123`, `18FEF100x` (extended ids printed with an `x`, as in logs). Pure. */
export function formatCanId(f: Pick<CanFrame, 'id' | 'extended'>): string {
  return f.extended ? `${f.id.toString(16).toUpperCase().padStart(8, '0')}x` : f.id.toString(16).toUpperCase().padStart(3, '0');
}
