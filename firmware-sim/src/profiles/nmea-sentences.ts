/** XOR checksum of the characters between `$` and `*` (NMEA 0183). */
export function checksum(body: string): string {
  let x = 0;
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i);
  return x.toString(16).toUpperCase().padStart(2, '0');
}

export const sentence = (body: string): string => `$${body}*${checksum(body)}`;

/** Decimal degrees → `ddmm.mmmm` / `dddmm.mmmm` and hemisphere. */
export function toNmeaCoord(deg: number, isLat: boolean): [string, string] {
  const abs = Math.abs(deg);
  const d = Math.floor(abs);
  const m = (abs - d) * 60;
  const mm = m.toFixed(4).padStart(7, '0');
  // toFixed can round 59.99999 up to 60.0000: carry it into the degrees
  const [dd, mins] = mm.startsWith('60') ? [d + 1, '00.0000'] : [d, mm];
  return [String(dd).padStart(isLat ? 2 : 3, '0') + mins, isLat ? (deg < 0 ? 'S' : 'N') : deg < 0 ? 'W' : 'E'];
}

function hhmmss(ts: number): string {
  const d = new Date(ts);
  return [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()].map((n) => String(n).padStart(2, '0')).join('') + '.00';
}

function ddmmyy(ts: number): string {
  const d = new Date(ts);
  return [d.getUTCDate(), d.getUTCMonth() + 1, d.getUTCFullYear() % 100].map((n) => String(n).padStart(2, '0')).join('');
}

export interface Fix {
  ts: number;
  lat: number;
  lon: number;
  /** m/s */
  speed: number;
  course: number;
  alt: number;
  sats: number;
  hdop: number;
}

export function gga(f: Fix): string {
  const [lat, ns] = toNmeaCoord(f.lat, true);
  const [lon, ew] = toNmeaCoord(f.lon, false);
  return sentence(`GPGGA,${hhmmss(f.ts)},${lat},${ns},${lon},${ew},1,${String(f.sats).padStart(2, '0')},${f.hdop.toFixed(1)},${f.alt.toFixed(1)},M,47.0,M,,`);
}

export function rmc(f: Fix): string {
  const [lat, ns] = toNmeaCoord(f.lat, true);
  const [lon, ew] = toNmeaCoord(f.lon, false);
  const knots = f.speed / (1852 / 3600);
  return sentence(`GPRMC,${hhmmss(f.ts)},A,${lat},${ns},${lon},${ew},${knots.toFixed(2)},${f.course.toFixed(1)},${ddmmyy(f.ts)},,,A`);
}
