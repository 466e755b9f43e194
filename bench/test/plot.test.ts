import assert from 'node:assert/strict';
import { barChartSvg } from '../lib/plot.js';

describe('bench/lib/plot', () => {
  it('draws a bar per contender, scaled within its case, ours dark, skipped rows left out', () => {
    const svg = barChartSvg({
      name: 'fan-out',
      unit: 'msgs/s',
      notes: [],
      rows: [
        { case: 'QoS 0 <1k subs>', contender: 'causeway', ours: true, value: 50 },
        { case: 'QoS 0 <1k subs>', contender: 'mosquitto', ours: false, value: 100 },
        { case: 'QoS 0 <1k subs>', contender: 'aedes', ours: false, skipped: 'not installed' },
      ],
    });
    assert.match(svg, /^<svg /);
    assert.match(svg, /fan-out \(msgs\/s, higher is better\)/);
    assert.match(svg, /QoS 0 &lt;1k subs&gt;/);
    assert.match(svg, /<rect x="330" y="\d+" width="180" height="16" fill="#1f4e79"\/>/); // half of the case max
    assert.match(svg, /<rect x="330" y="\d+" width="360" height="16" fill="#9dc3e6"\/>/);
    assert.ok(!svg.includes('aedes'));
  });
});
