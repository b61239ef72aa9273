import { describe, expect, it } from 'vitest';
import { CenteredSketch, type SketchJson } from '../../lambdas/domain/model-monitor/statistics/index.js';
import {
  acceptFinite,
  decodeSketch,
  encodeSketch,
  newSketch,
  type SketchData,
} from '../../lambdas/domain/shadow-tests/sketch.js';
import { pairBins, runLengthBins, storeBins } from '../../lambdas/domain/stats/ddsketch.js';

const VALUES = [-5, -5, -0.3, 0, 0.5, 1, 1, 2, 40, 100];

// What the code before the shared codec wrote for VALUES: stored aggregates and
// statistics.json files must keep reading, and new ones must be written, byte for byte so.
const SHADOW_BYTES =
  '{"count":10,"sum":134.2,"min":-5,"max":100,"zeros":1,"positive":[-34,1,-33,2,-34,1,-149,1,-45,1],"negative":[-60,1,-140,2]}';
const MONITOR_BYTES =
  '{"type":"DDSketch","relative_accuracy":0.01,"center":1,"data":[[0,1,184,1,230,1],[-34,1,0,1,14,1,90,2],[2]]}';

describe('the one DDSketch codec, in its two stored formats', () => {
  it('writes shadow aggregates’ run-length sketches as before, and reads them back unchanged', () => {
    const sketch = newSketch(0.01);
    for (const v of VALUES) acceptFinite(sketch, v);
    expect(JSON.stringify(encodeSketch(sketch))).toBe(SHADOW_BYTES);
    const stored = JSON.parse(SHADOW_BYTES) as SketchData;
    expect(JSON.stringify(encodeSketch(decodeSketch(stored, 0.01)))).toBe(SHADOW_BYTES);
  });

  it('writes statistics.json’s [key, count] sketches as before, and reads them back unchanged', () => {
    const sketch = new CenteredSketch(0.01, 1);
    for (const v of VALUES) sketch.add(v);
    expect(JSON.stringify(sketch.toJSON())).toBe(MONITOR_BYTES);
    const stored = JSON.parse(MONITOR_BYTES) as SketchJson;
    expect(JSON.stringify(CenteredSketch.fromJSON(stored).toJSON())).toBe(MONITOR_BYTES);
  });

  it('holds the same bins in either format', () => {
    const sketch = newSketch(0.01);
    for (const v of VALUES) acceptFinite(sketch, v);
    for (const store of [sketch.store, sketch.negativeStore]) {
      const bins = storeBins(store);
      expect(runLengthBins.decode(runLengthBins.encode(bins))).toEqual(bins);
      expect(pairBins.decode(pairBins.encode(bins))).toEqual(bins);
    }
    expect(runLengthBins.encode([])).toBeUndefined();
    expect(pairBins.encode([])).toEqual([]);
  });
});
