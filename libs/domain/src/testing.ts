// Test doubles of the domain's ports (Fake<Port>, InMemory<Port>) and object mothers. Imported by specs only.
export {};
