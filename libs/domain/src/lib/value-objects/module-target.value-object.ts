/**
 * A Python module under test, located the way its users import it.
 * For `src/shop/cart.py` inside package `shop` (which has `__init__.py`), `importRoot` is `src` and
 * `moduleName` is `shop.cart`; for a lone `calc.py`, `importRoot` is its folder and `moduleName` is `calc`.
 */
export interface ModuleTarget {
  /** Absolute, resolved path of the `.py` file. */
  readonly file: string;
  /** Absolute folder that must be on `sys.path` for `import <moduleName>` to work. */
  readonly importRoot: string;
  /** Dotted module name, e.g. `shop.cart`. */
  readonly moduleName: string;
}
