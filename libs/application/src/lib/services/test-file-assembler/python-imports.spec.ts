import { importedNames, mergeImports, pruneImports } from './python-imports';

describe('mergeImports', () => {
  it('deduplicates, merges names per module and sorts: __future__, import, from', () => {
    expect(
      mergeImports([
        'from shop.cart import Cart',
        'import pytest',
        'from __future__ import annotations',
        'from shop.cart import (\n    Item,\n    Cart,\n)',
        'import os, sys as system',
        'import pytest  # again',
        'from . import helpers',
      ]),
    ).toEqual([
      'from __future__ import annotations',
      'import os',
      'import pytest',
      'import sys as system',
      'from . import helpers',
      'from shop.cart import Cart, Item',
    ]);
  });

  it('wraps long from-imports in parentheses and keeps what it cannot parse verbatim, once', () => {
    const names = Array.from({ length: 12 }, (_, i) => `function_number_${i}`);
    const merged = mergeImports([
      `from package.module import ${names.join(', ')}`,
      'try:\n    import ujson\nexcept ImportError:\n    ujson = None',
      'try:\n    import ujson\nexcept ImportError:\n    ujson = None',
    ]);
    expect(merged[0]).toBe(
      `from package.module import (\n${[...names]
        .sort()
        .map((n) => `    ${n},`)
        .join('\n')}\n)`,
    );
    expect(merged.slice(1)).toEqual(['try:\n    import ujson\nexcept ImportError:\n    ujson = None']);
  });

  it('lists the names an import block binds', () => {
    expect([...importedNames(['import os.path', 'from a import b as c, d', 'import pytest as pt'])].sort()).toEqual([
      'c',
      'd',
      'os',
      'pt',
    ]);
  });

  it('prunes imports to the names a test uses, keeping what it cannot parse', () => {
    const imports = [
      'import pytest',
      'import os.path',
      'from ledger import parse_amount, LedgerError as LE, MAXIMUM',
      'from x import *',
      'try:\n    import numpy\nexcept ImportError:\n    numpy = None',
    ];
    expect(pruneImports(imports, new Set(['pytest', 'parse_amount', 'LE']))).toEqual([
      'import pytest',
      'from ledger import parse_amount, LedgerError as LE',
      'from x import *',
      'try:\n    import numpy\nexcept ImportError:\n    numpy = None',
    ]);
    expect(pruneImports(['import os.path'], new Set(['os']))).toEqual(['import os.path']);
  });
});
