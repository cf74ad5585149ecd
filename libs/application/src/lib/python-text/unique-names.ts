/**
 * `base` when it is free, else the first of `base_2`, `base_3`, ... that is: how every generated name (test
 * functions, classes, support helpers) is made unique. `isTaken` decides, so a caller may treat a name as free
 * when what holds it is the same thing.
 */
export function uniqueName(base: string, isTaken: (name: string) => boolean): string {
  if (!isTaken(base)) return base;
  let n = 2;
  while (isTaken(`${base}_${n}`)) n++;
  return `${base}_${n}`;
}
