"""Classes from elsewhere a parameter fits by what the code does with it: a parameter whose attributes (``parent.parse``,
``parent.setLocale``, ``parent.getFeature``) are all methods of a class the module imported, by name or through a
module of a package (``from . import xmlreader``), gets that class as a hint, when it can be built without arguments.
The hint is an ``any`` hint naming the class, with ``make``: the source a test builds it with, through the name the
module has for it (``xmlreader.XMLReader()``)."""

import inspect
import types

# At most this many classes per parameter: more say the attributes are too common to tell a type.
MAX_CLASSES = 3


def imported_classes(module):
    """(source the module reaches the class by, class) for each class the module imported by name, and each class
    defined in a module it imported that is part of a package (``xml.sax.xmlreader``, not ``io``)."""
    out = []
    seen = set()
    for name, obj in list(vars(module).items()):
        if name.startswith("__"):
            continue
        if inspect.isclass(obj) and getattr(obj, "__module__", None) != module.__name__:
            found = [(name, obj)]
        elif isinstance(obj, types.ModuleType) and "." in obj.__name__ and obj is not module:
            found = [(f"{name}.{k}", v) for k, v in sorted(vars(obj).items())
                     if inspect.isclass(v) and not k.startswith("_") and getattr(v, "__module__", None) == obj.__name__]
        else:
            continue
        for source, cls in found:
            if id(cls) not in seen:
                seen.add(id(cls))
                out.append((source, cls))
    return out


def _buildable(cls):
    """Whether ``cls()`` needs no argument: a concrete class whose constructor's parameters all have defaults."""
    if inspect.isabstract(cls) or issubclass(cls, BaseException):
        return False
    try:
        sig = inspect.signature(cls)
    except (TypeError, ValueError):
        return False
    return all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in sig.parameters.values())


def duck_type_resolver(module):
    """A function: a set of attribute names -> the hints of the imported classes that have them all (none for fewer
    than two names, or for more than ``MAX_CLASSES`` such classes). Made while the module is listed, under the
    worker's guard: listing a class (``dir``, ``inspect.signature``) may run its metaclass's code."""
    candidates, members = [], {}
    for source, cls in imported_classes(module):
        try:
            if _buildable(cls):
                members[id(cls)] = set(dir(cls))
                candidates.append((source, cls))
        except Exception:  # noqa: BLE001 - a class whose metaclass fails to list it is no candidate
            continue

    def resolve(attrs):
        if len(attrs) < 2:
            return []
        fitting = [(source, cls) for source, cls in candidates if attrs <= members[id(cls)]]
        if not fitting or len(fitting) > MAX_CLASSES:
            return []
        return [{"kind": "any", "hint": f"{cls.__module__}.{cls.__qualname__}", "make": f"{source}()"}
                for source, cls in fitting]

    return resolve
