import { CleanupRegistry } from './cleanup-registry';

describe('CleanupRegistry', () => {
  it('runs every registered cleanup once, newest first, and skips unregistered ones', () => {
    const registry = new CleanupRegistry();
    const ran: string[] = [];
    registry.register(() => ran.push('folder'));
    const unregister = registry.register(() => ran.push('released'));
    registry.register(() => ran.push('group'));
    unregister();
    unregister();
    expect(registry.size).toBe(2);
    expect(registry.runAll()).toEqual([]);
    expect(ran).toEqual(['group', 'folder']);
    expect(registry.size).toBe(0);
    expect(registry.runAll()).toEqual([]);
    expect(ran).toEqual(['group', 'folder']);
  });

  it('keeps going when a cleanup throws and returns the errors', () => {
    const registry = new CleanupRegistry();
    const ran: string[] = [];
    registry.register(() => ran.push('first'));
    registry.register(() => {
      throw new Error('EPERM: cannot kill');
    });
    expect(registry.runAll().map((e) => e.message)).toEqual(['EPERM: cannot kill']);
    expect(ran).toEqual(['first']);
  });
});
