/** What a key's format means, in words, for --help (issue 24: not `<nat>`). */
const WORDS: Record<string, string> = {
  nat: 'whole number ≥ 0',
  int: 'integer',
  port: 'port number',
  Number: 'number',
  String: 'text',
  Boolean: 'true|false',
  gatewayId: 'id',
  groupList: 'JSON list of group names',
  mqttUrl: 'URL',
  'causeway-serial-ports': 'JSON list of ports',
  'causeway-stream-rules': 'JSON list of rules',
  'causeway-mqtt-sources': 'JSON list of topic mappings',
  'causeway-sinks': 'JSON list of sinks',
};

/** `nat` → `whole number ≥ 0`; a list of values (`cbor|json`) stays as it is. Pure. */
export function typeWords(format: string): string {
  return WORDS[format] ?? (format.includes('|') ? `one of ${format}` : format);
}
