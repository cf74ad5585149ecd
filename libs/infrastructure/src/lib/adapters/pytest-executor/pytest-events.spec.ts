import { PytestEventReader } from './pytest-events';

describe('PytestEventReader', () => {
  it('returns complete events as bytes arrive and counts lines that are not events', () => {
    const reader = new PytestEventReader();
    expect(reader.push('{"e":"start","id":"t.py::a","t":1}\n{"e":"fin')).toEqual([{ e: 'start', id: 't.py::a', t: 1 }]);
    expect(
      reader.push('ish","id":"t.py::a","status":"passed","text":null,"duration":0.5,"t":2}\nnot json\n{"e":"other"}\n'),
    ).toEqual([{ e: 'finish', id: 't.py::a', status: 'passed', text: null, duration: 0.5, t: 2 }]);
    expect(reader.malformed).toBe(2);
  });
});
