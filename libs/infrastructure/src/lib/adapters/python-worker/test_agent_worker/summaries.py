"""Facts about a value too long to write out in a test (the emitter writes at most 120 characters of a literal):
how it ends, how often a separator occurs, its first and last element, the sum of its numbers, the values at its
first and last key. Each is short and readable, and together they notice far more changes than a size and a start.
Also the literal containers a call changed in place (`changed_args`): what a function returning None did.
"""

import io

# The emitter writes a literal of a str, bytes, list, tuple, dict or set up to this many characters (its
# MAX_SIZED_LITERAL); longer values are checked by their size, their start and these facts.
SUMMARY_OVER = 120
TAIL = 40
SEPARATORS = ("\n", " ", ",", "\t")
MAX_PART = 120
SIZED = (str, bytes, list, tuple, dict, set, frozenset)


def _number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _text_facts(v):
    """A str's or bytes' last characters (cut after an escape-free start) and how often each separator occurs."""
    is_bytes = isinstance(v, bytes)
    tail = v[-TAIL:]
    counts = []
    for sep in SEPARATORS:
        s = sep.encode() if is_bytes else sep
        n = v.count(s)
        if n:
            counts.append([repr(s), n])
    return {"tail": repr(tail), "counts": counts[:2]}


def _sequence_facts(describer, v):
    out = {}
    for key, x in (("first", v[0]), ("last", v[-1])):
        e = describer.expr(x)
        if e is not None and len(e) <= MAX_PART:
            out[key] = e
        elif type(x) in SIZED:
            # An element too long to write out (a week of a month of a year): its size.
            out[key + "Len"] = len(x)
    if all(_number(x) for x in v):
        total = sum(v)
        out["sum"] = repr(total)
        out["sumFloat"] = isinstance(total, float)
    elif all(type(x) is str for x in v) or all(type(x) is bytes for x in v):
        out["itemLengths"] = sum(len(x) for x in v)
    return out


def _dict_facts(describer, v):
    entries = []
    for k in dict.fromkeys([next(iter(v)), list(v)[-1]]):
        ke, xe = describer.expr(k), describer.expr(v[k])
        if ke is not None and xe is not None and len(ke) + len(xe) <= MAX_PART and not describer.has_float(v[k]):
            entries.append([ke, xe])
    return {"entries": entries} if entries else {}


def summary(describer, v):
    """The facts of a long str, bytes, list, tuple or dict (exactly these types), or None for any other value."""
    if type(v) not in (str, bytes, list, tuple, dict) or not v:
        return None
    if len(describer.canon(v)) <= SUMMARY_OVER:
        return None
    if type(v) in (str, bytes):
        facts = _text_facts(v)
    elif type(v) is dict:
        facts = _dict_facts(describer, v)
    else:
        facts = _sequence_facts(describer, v)
    return facts or None


# Containers a test writes as a literal argument and can hold in a variable to look at after the call, and the
# in-memory streams it can read back (``out.getvalue()``).
WATCHED = (list, dict, set, bytearray)
STREAMS = (io.StringIO, io.BytesIO)


def _state(describer, x):
    """What a watched argument holds: a container's canon, a stream's contents (None once it is closed)."""
    if type(x) in STREAMS:
        try:
            return x.getvalue()
        except ValueError:
            return None
    return describer.canon(x)


def watch(describer, e, args, kw):
    """The literal container and stream arguments of a call, each with its position or keyword and what it held
    before the call."""
    out = []
    pairs = [(i, None, a, x) for i, (a, x) in enumerate(zip(e.get("args", []), args))]
    pairs += [(None, name, a, kw[name]) for name, a in e.get("keywords", [])]
    for position, keyword, a, x in pairs:
        if a["kind"] == "lit" and type(x) in WATCHED + STREAMS:
            out.append((position, keyword, x, _state(describer, x)))
    return out


def changed_args(describer, watched):
    """The watched arguments the call changed (`_fix_sentence_endings(chunks)` edits `chunks`, `encode(src, out)`
    writes to `out`), as the test can assert them: position or keyword, and the Python source of the value (of a
    stream, of what it holds: ``via`` ``getvalue``) afterwards (at most 120 characters)."""
    out = []
    for position, keyword, x, before in watched:
        now = _state(describer, x)
        if now == before or now is None:
            continue
        stream = type(x) in STREAMS
        value = now if stream else x
        e = describer.expr(value)
        if e is not None and len(e) <= MAX_PART:
            out.append({"position": position, "keyword": keyword, "expr": e, "float": describer.has_float(value),
                        "approx": describer.approx_ok(value), **({"via": "getvalue"} if stream else {})})
    return out
