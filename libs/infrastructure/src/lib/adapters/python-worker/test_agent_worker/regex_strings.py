"""Strings made from a regular expression with the interpreter's own regex parser: strings that match (every
alternative, optional parts present and absent) and near misses (one character changed, one dropped, one added,
the empty string) that do not. Deterministic: the choices come from a generator seeded with the pattern's
checksum."""

import random
import re
import zlib


try:
    from re import _constants as _sre, _parser as _sre_parse
except ImportError:  # Python < 3.11
    import sre_constants as _sre  # noqa: F401 - deprecated alias, the only one there
    import sre_parse as _sre_parse


MAX_REGEX_STRINGS = 16
MAX_NEAR_MISSES = 6
_REGEX_POOL = "aAzZ019_ -.,:;/=+@#!?()[]'\"\tx"


class RegexStrings:
    """Strings that fully match a pattern, and near misses, from its parse tree (``sre_parse``)."""

    def __init__(self, pattern, flags=0):
        self.regex = re.compile(pattern, flags)
        self.tree = _sre_parse.parse(pattern, flags)
        self.rng = random.Random(zlib.crc32(f"{flags}:{pattern}".encode("utf-8", "surrogatepass")))
        self.mode = "random"
        self.drop = None
        self.force = {}
        self.pick_index = 0

    # -- characters
    def _category_ok(self, cat, ch):
        name = str(getattr(cat, "name", cat)).upper()
        if "NOT_" in name:
            return not self._category_ok(name.replace("NOT_", ""), ch)
        if "DIGIT" in name:
            return ch.isdigit()
        if "SPACE" in name:
            return ch.isspace()
        if "WORD" in name:
            return ch.isalnum() or ch == "_"
        if "LINEBREAK" in name:
            return ch == "\n"
        return False

    def _in_class(self, items, ch):
        negate, hit = False, False
        for op, av in items:
            if op is _sre.NEGATE:
                negate = True
            elif op is _sre.LITERAL:
                hit = hit or ord(ch) == av
            elif op is _sre.RANGE:
                hit = hit or av[0] <= ord(ch) <= av[1]
            elif op is _sre.CATEGORY:
                hit = hit or self._category_ok(av, ch)
        return hit != negate

    def _class_candidates(self, items):
        out = []
        negated = any(op is _sre.NEGATE for op, _ in items)
        if not negated:
            for op, av in items:
                if op is _sre.LITERAL:
                    out.append(chr(av))
                elif op is _sre.RANGE:
                    lo, hi = av
                    out.extend(chr(c) for c in sorted({lo, hi, (lo + hi) // 2, min(hi, lo + 1)}))
                elif op is _sre.CATEGORY:
                    out.extend(self._category_chars(av))
        out.extend(c for c in _REGEX_POOL if c not in out)
        return [c for c in out if self._in_class(items, c)]

    def _category_chars(self, cat):
        name = str(getattr(cat, "name", cat)).upper()
        if "NOT_" in name:
            return [c for c in _REGEX_POOL if not self._category_ok(name.replace("NOT_", ""), c)]
        if "DIGIT" in name:
            return list("1072")
        if "SPACE" in name:
            return [" ", "\t"]
        if "WORD" in name:
            return list("ab1Z_")
        return []

    def _pick(self, candidates):
        if not candidates:
            raise ValueError("no character fits")
        if self.mode == "random":
            return self.rng.choice(candidates[:8])
        return candidates[min(self.pick_index, len(candidates) - 1)]

    # -- structure
    def _count(self, node, lo, hi):
        hi = min(hi, lo + 3)
        if node is self.drop:
            return lo
        if self.mode == "min":
            return lo
        if self.mode == "max":
            return min(hi, lo + 1)
        return self.rng.choice([n for n in range(lo, hi + 1)] + [lo])

    def _gen(self, items, groups, out, depth=0):
        if depth > 40 or len(out) > 400:
            raise ValueError("pattern too deep")
        for op, av in items:
            if op is _sre.LITERAL:
                out.append(chr(av))
            elif op is _sre.NOT_LITERAL:
                out.append(self._pick([c for c in _REGEX_POOL if ord(c) != av]))
            elif op is _sre.ANY:
                out.append(self._pick(list("ax1")))
            elif op is _sre.IN:
                out.append(self._pick(self._class_candidates(av)))
            elif op is _sre.CATEGORY:
                out.append(self._pick(self._category_chars(av)))
            elif op is _sre.BRANCH:
                alternatives = av[1]
                i = 0 if self.mode == "min" else len(alternatives) - 1 if self.mode == "max" else self.rng.randrange(len(alternatives))
                i = self.force.get(id(av), i)
                self._gen(alternatives[i], groups, out, depth + 1)
            elif op is _sre.SUBPATTERN:
                group, sub = av[0], av[-1]
                part = []
                self._gen(sub, groups, part, depth + 1)
                out.extend(part)
                if group:
                    groups[group] = "".join(part)
            elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) or op is getattr(_sre, "POSSESSIVE_REPEAT", None):
                lo, hi, sub = av
                for _ in range(self._count(av, lo, hi)):
                    self._gen(sub, groups, out, depth + 1)
            elif op is getattr(_sre, "ATOMIC_GROUP", None):
                self._gen(av, groups, out, depth + 1)
            elif op is _sre.GROUPREF:
                out.append(groups.get(av, ""))
            elif op is _sre.GROUPREF_EXISTS:
                group, yes, no = av
                branch = yes if group in groups else no
                if branch is not None:
                    self._gen(branch, groups, out, depth + 1)
            elif op in (_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT):
                continue  # anchors hold by construction; lookarounds are left to the final check
            else:
                raise ValueError(f"unsupported {op}")

    def _one(self, mode, drop=None, force=None, pick_index=0):
        self.mode, self.drop, self.force, self.pick_index = mode, drop, force or {}, pick_index
        out = []
        self._gen(self.tree, {}, out)
        return "".join(out)

    def _choice_nodes(self, items, optional, branches):
        """The repeats that may be absent and the alternations of the tree, outermost first."""
        for op, av in items:
            if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) or op is getattr(_sre, "POSSESSIVE_REPEAT", None):
                if av[0] == 0:
                    optional.append(av)
                self._choice_nodes(av[2], optional, branches)
            elif op is _sre.SUBPATTERN:
                self._choice_nodes(av[-1], optional, branches)
            elif op is _sre.BRANCH:
                branches.append(av)
                for alt in av[1]:
                    self._choice_nodes(alt, optional, branches)
        return optional, branches

    def matches(self):
        """Up to ``MAX_REGEX_STRINGS`` distinct strings that ``fullmatch`` the pattern (``search`` it when none
        can, as with lookarounds): all optional parts absent, all present (with a class's typical character,
        then with the next one: ``1`` then ``0`` for a digit), each alternative of the outer alternations, each optional part dropped alone, then random choices."""
        made = []
        optional, branches = self._choice_nodes(self.tree, [], [])
        # (mode, optional part left out, alternative forced, which of a class's characters: 0 typical, 1 next)
        attempts = [("min", None, None, 0), ("max", None, None, 0), ("max", None, None, 1)]
        attempts += [("max", None, {id(b): i}, 0) for b in branches[:4] for i in range(min(len(b[1]) - 1, 4))]
        attempts += [("max", node, None, 0) for node in optional[:4]]
        attempts += [("random", None, None, 0)] * 24
        for mode, drop, force, pick_index in attempts:
            try:
                s = self._one(mode, drop, force, pick_index)
            except (ValueError, RecursionError):
                continue
            if len(s) <= 200 and s not in made:
                made.append(s)
        full = [s for s in made if self.regex.fullmatch(s)]
        chosen = full or [s for s in made if self.regex.search(s)]
        return chosen[:MAX_REGEX_STRINGS]

    def near_misses(self, matching):
        """Strings next to matching ones that do not ``fullmatch``: one character changed, one dropped, one
        added at the end, and the empty string."""
        out = []

        def add(s):
            if len(out) < MAX_NEAR_MISSES and s not in out and s not in matching and not self.regex.fullmatch(s):
                out.append(s)

        add("")
        for s in matching[:3]:
            if not s:
                continue
            for at in sorted({len(s) // 2, 0, len(s) - 1}):
                ch = s[at]
                other = "x" if ch.isdigit() else "7" if ch.isalpha() else "a"
                add(s[:at] + other + s[at + 1:])
                add(s[:at] + s[at + 1:])
            add(s + "!")
        return out


def regex_strings(pattern, flags=0):
    """``(matches, near_misses)`` for a pattern, or ``([], [])`` when it cannot be generated from."""
    try:
        gen = RegexStrings(pattern, flags)
        matching = gen.matches()
        return matching, gen.near_misses(matching)
    except Exception:  # noqa: BLE001 - an unusual pattern only means no strings from it
        return [], []


MAX_TOKENS = 40
MAX_SEQUENCES = 10


def _alternative_paths(items, chosen):
    """For each alternative of each alternation in the tree, the choices (``RegexStrings.force``) that reach it:
    its own index and those of the alternations it is nested in."""
    for op, av in items:
        if op is _sre.BRANCH:
            for i, alt in enumerate(av[1]):
                here = {**chosen, id(av): i}
                yield here
                yield from _alternative_paths(alt, here)
        elif op is _sre.SUBPATTERN:
            yield from _alternative_paths(av[-1], chosen)
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) or op is getattr(_sre, "POSSESSIVE_REPEAT", None):
            yield from _alternative_paths(av[2], chosen)


def token_sequences(pattern, flags=0):
    """Strings a tokenizer scans (``finditer``, ``findall``, ``sub``, ``split`` over the whole input): two to six
    short matches of the pattern one after another, from up to ``MAX_TOKENS`` distinct ones made at random, each
    alternative of its alternations (the kinds of token) forced in turn first. Deterministic, like
    ``regex_strings``; ``[]`` when nothing can be made."""
    try:
        gen = RegexStrings(pattern, flags)
        tokens = []
        forced = [f for f in _alternative_paths(gen.tree, {})][:30]
        for force in [f for f in forced for _ in range(3)] + [None] * 40:
            try:
                s = gen._one("random", None, force)
            except (ValueError, RecursionError):
                continue
            if 0 < len(s) <= 12 and s not in tokens and gen.regex.fullmatch(s):
                tokens.append(s)
                if len(tokens) >= MAX_TOKENS:
                    break
    except Exception:  # noqa: BLE001 - an unusual pattern only means no strings from it
        return []
    out = []
    for _ in range(MAX_SEQUENCES * 2):
        if not tokens or len(out) >= MAX_SEQUENCES:
            break
        seq = "".join(gen.rng.choice(tokens) for _ in range(gen.rng.randint(2, 6)))
        if seq not in out:
            out.append(seq)
    return out
