import { isWithheldVariable, scrubEnvironment } from './sandbox-environment';

describe('scrubEnvironment', () => {
  it('withholds secrets, LLM and GigaChat settings, credentials in URLs and the caller’s Python/pytest settings', () => {
    const env = scrubEnvironment(
      {
        PATH: '/usr/bin',
        LANG: 'C.UTF-8',
        OPENAI_API_KEY: 'sk-1',
        GITHUB_TOKEN: 'ghp',
        client_secret: 's',
        DB_PASSWORD: 'pw',
        GIGACHAT_SCOPE: 'GIGACHAT_API_PERS',
        LLM_MODEL: 'qwen',
        DATABASE_URL: 'postgres://app:hunter2@db:5432/app',
        PUBLIC_URL: 'https://example.com/x',
        PYTHONPATH: '/elsewhere',
        PYTEST_ADDOPTS: '-x',
        COVERAGE_PROCESS_START: '/rc',
        UNSET: undefined,
      },
      { HOME: '/run/home', PYTHONPATH: '/project' },
    );
    expect(env).toEqual({
      PATH: '/usr/bin',
      LANG: 'C.UTF-8',
      PUBLIC_URL: 'https://example.com/x',
      HOME: '/run/home',
      PYTHONPATH: '/project',
    });
  });

  it('matches names case-insensitively', () => {
    expect(isWithheldVariable('my_api_key', 'x')).toBe(true);
    expect(isWithheldVariable('Session_Cookie', 'x')).toBe(true);
    expect(isWithheldVariable('EDITOR', 'vim')).toBe(false);
  });
});
