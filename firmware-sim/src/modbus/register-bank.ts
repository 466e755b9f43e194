/**
 * The four Modbus tables of one simulated slave (coils, discrete inputs, holding and input registers).
 * A read of an address nobody declared is an exception 2 (illegal data address), as a real device does;
 * a write to a holding register or coil that is not declared writable is one too.
 */
export interface RegisterBank {
  read(table: 'coil' | 'discrete' | 'holding' | 'input', address: number): number | undefined;
  /** false: not writable (exception 2) */
  write(table: 'coil' | 'holding', address: number, value: number): boolean;
}

/** A bank over plain maps; `writable` lists the holding registers and coils a master may change. */
export function mapBank(init: { coil?: Map<number, number>; discrete?: Map<number, number>; holding?: Map<number, number>; input?: Map<number, number>; writable?: { coil?: Set<number>; holding?: Set<number> } }): RegisterBank {
  const tables = { coil: init.coil ?? new Map(), discrete: init.discrete ?? new Map(), holding: init.holding ?? new Map(), input: init.input ?? new Map() };
  return {
    read: (t, a) => tables[t].get(a),
    write(t, a, v) {
      if (!(init.writable?.[t]?.has(a) ?? false)) return false;
      tables[t].set(a, v);
      return true;
    },
  };
}
