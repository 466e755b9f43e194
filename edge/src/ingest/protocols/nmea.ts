import { type Field, type ParseResult, type Protocol, fail, frameText } from './protocol.js';

/** Knots to metres per second (1 kn = 1852 m/h). */
const KNOT_MS = 1852 / 3600;

/** XOR of every character between `$` and `*` — NMEA 0183 §5.2.1 checksum. Exported for the simulator tests. */
export function nmeaChecksum(body: string): string {
  let x = 0;
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i);
  return x.toString(16).toUpperCase().padStart(2, '0');
}

/** `ddmm.mmmm` (or `dddmm.mmmm`) with hemisphere to signed decimal degrees; null if malformed. */
export function nmeaCoordinate(value: string, hemi: string, degDigits: 2 | 3): number | null {
  if (!/^\d+(\.\d+)?$/.test(value)) return null;
  if (value.length < degDigits + 2) return null;
  const deg = Number(value.slice(0, degDigits));
  const min = Number(value.slice(degDigits));
  if (!Number.isFinite(deg) || !Number.isFinite(min) || min >= 60) return null;
  const limit = degDigits === 2 ? 90 : 180;
  const dd = deg + min / 60;
  if (dd > limit) return null;
  const pos = degDigits === 2 ? 'N' : 'E';
  const neg = degDigits === 2 ? 'S' : 'W';
  if (hemi !== pos && hemi !== neg) return null;
  return hemi === neg ? -dd : dd;
}

function num(s: string | undefined): number | null {
  if (s === undefined || s === '' || !/^[+-]?\d+(\.\d+)?$/.test(s)) return null;
  return Number(s);
}

/** hhmmss(.sss) + ddmmyy → ms since the epoch (UTC); null if either is malformed. */
function rmcTime(time: string, date: string): number | null {
  const tm = /^(\d\d)(\d\d)(\d\d)(\.\d+)?$/.exec(time);
  const dm = /^(\d\d)(\d\d)(\d\d)$/.exec(date);
  if (!tm || !dm) return null;
  // Two-digit years: 80–99 are 1980s/90s (GPS epoch 1980), the rest 20xx.
  const yy = Number(dm[3]);
  const year = yy >= 80 ? 1900 + yy : 2000 + yy;
  const ms = Date.UTC(year, Number(dm[2]) - 1, Number(dm[1]), Number(tm[1]), Number(tm[2]), Number(tm[3]), Math.round(Number(tm[4] ?? 0) * 1000));
  return Number.isFinite(ms) ? ms : null;
}

function position(f: string[], at: number): { lat: number; lon: number } | 'empty' | null {
  if (f[at] === '' && f[at + 1] === '' && f[at + 2] === '' && f[at + 3] === '') return 'empty';
  const lat = nmeaCoordinate(f[at] ?? '', f[at + 1] ?? '', 2);
  const lon = nmeaCoordinate(f[at + 2] ?? '', f[at + 3] ?? '', 3);
  return lat === null || lon === null ? null : { lat, lon };
}

function gga(f: string[]): ParseResult {
  // $xxGGA,time,lat,N,lon,E,quality,sats,hdop,alt,M,geoid,M,age,station
  if (f.length < 10) return fail('malformed', `GGA has ${f.length} fields, expected at least 10`);
  const fix = num(f[6]);
  if (fix === null || !Number.isInteger(fix) || fix < 0 || fix > 8) return fail('non-numeric', `GGA fix quality "${f[6]}" is not 0..8`);
  const fields: Field[] = [{ name: 'fix', value: fix }];
  const pos = position(f, 2);
  if (pos === null) return fail('malformed', 'GGA position is malformed');
  if (pos !== 'empty') fields.push({ name: 'lat', value: pos.lat, unit: 'deg' }, { name: 'lon', value: pos.lon, unit: 'deg' });
  const sats = num(f[7]);
  if (sats !== null) fields.push({ name: 'sats', value: sats });
  const hdop = num(f[8]);
  if (hdop !== null) fields.push({ name: 'hdop', value: hdop });
  const alt = num(f[9]);
  if (alt !== null) fields.push({ name: 'alt', value: alt, unit: 'm' });
  return { ok: true, fields };
}

function rmc(f: string[]): ParseResult {
  // $xxRMC,time,status,lat,N,lon,E,speed(kn),course,date,magvar,E[,mode]
  if (f.length < 10) return fail('malformed', `RMC has ${f.length} fields, expected at least 10`);
  const status = f[2];
  if (status !== 'A' && status !== 'V') return fail('malformed', `RMC status "${status}" is not A or V`);
  const fields: Field[] = [{ name: 'valid', value: status === 'A' }];
  const pos = position(f, 3);
  if (pos === null) return fail('malformed', 'RMC position is malformed');
  if (pos !== 'empty') fields.push({ name: 'lat', value: pos.lat, unit: 'deg' }, { name: 'lon', value: pos.lon, unit: 'deg' });
  if (f[7] !== '') {
    const kn = num(f[7]);
    if (kn === null) return fail('non-numeric', `RMC speed "${f[7]}" is not a number`);
    fields.push({ name: 'speed', value: Math.round(kn * KNOT_MS * 1000) / 1000, unit: 'm/s' });
  }
  if (f[8] !== '') {
    const course = num(f[8]);
    if (course === null) return fail('non-numeric', `RMC course "${f[8]}" is not a number`);
    fields.push({ name: 'course', value: course, unit: 'deg' });
  }
  const ts = rmcTime(f[1] ?? '', f[9] ?? '');
  return { ok: true, fields, ...(ts === null ? {} : { ts }) };
}

/**
 * NMEA 0183 GGA (fix, position, satellites, altitude) and RMC (position, speed, course, UTC time)
 * from any talker (GP, GN, GL…). The checksum is required and verified: a GPS on a noisy line sends
 * plausible-looking digits, and only the checksum tells them from the real ones. Other sentences
 * are refused as `unsupported` (counted, so an operator sees a receiver sending only GSV).
 */
export const nmea: Protocol = {
  name: 'nmea',
  parse(frame: Buffer): ParseResult {
    const t = frameText(frame);
    if (!t.ok) return t;
    const s = t.text.trim();
    const m = /^[$!]([^*]*)\*([0-9A-Fa-f]{2})$/.exec(s);
    if (!m) return fail(s.startsWith('$') && !s.includes('*') ? 'bad-checksum' : 'malformed', s.startsWith('$') ? 'sentence has no *hh checksum' : 'not an NMEA sentence');
    const body = m[1]!;
    const want = nmeaChecksum(body);
    if (want !== m[2]!.toUpperCase()) return fail('bad-checksum', `checksum ${m[2]} but sentence sums to ${want}`);
    const f = body.split(',');
    const type = f[0]!;
    if (type.length !== 5) return fail('malformed', `sentence id "${type}" is not talker + 3 letters`);
    switch (type.slice(2)) {
      case 'GGA':
        return gga(f);
      case 'RMC':
        return rmc(f);
      default:
        return fail('unsupported', `sentence ${type} is not parsed`);
    }
  },
};
