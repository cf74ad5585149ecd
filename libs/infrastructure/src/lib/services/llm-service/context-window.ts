import type { DetectedContextWindow } from '../../clients/llm-client/openai-llm-client.adapter';

/** The context window one endpoint's prompts must fit, and where that number came from. */
export interface LlmEndpointWindow {
  readonly role: string;
  readonly endpoint: string;
  readonly contextWindow: number;
  /** `vLLM GET /v1/models max_model_len`, `Ollama GET /api/ps context_length`, `LLM_CONTEXT_WINDOW`, `model profile`, ... */
  readonly source: string;
}

/**
 * The window assumed for an Ollama when neither it nor the user tells it: its own default is 2,048 or 4,096 by
 * version (newer ones choose by VRAM); a smaller real window still shows as a silent truncation and a refit.
 */
export const OLLAMA_DEFAULT_CONTEXT = 4_096;

/** What is known about one endpoint's window, from the server and from the configuration. */
export interface ContextWindowInputs {
  /** What the server told (undefined: detection unsupported or failed). */
  readonly detected?: DetectedContextWindow;
  /** `LLM_CONTEXT_WINDOW`, in tokens. */
  readonly configured?: number;
  /** `OLLAMA_CONTEXT_LENGTH`, in tokens (applies to an Ollama endpoint only). */
  readonly ollamaContextLength?: number;
  /** The model profile's window, in tokens. */
  readonly profile?: number;
}

/** The window an endpoint's prompts are fitted to. */
export interface ResolvedContextWindow {
  readonly tokens: number;
  readonly source: string;
  /** Ollama's default was assumed (neither the server nor the user told the window): worth a warning. */
  readonly assumedOllamaDefault: boolean;
}

/**
 * The window of one endpoint: what the server tells, else for an Ollama `OLLAMA_CONTEXT_LENGTH`, else the
 * configured `LLM_CONTEXT_WINDOW`, else for an Ollama its default 4,096, else the model profile's. A configured
 * window smaller than the server's applies; a window above the model's own largest context is capped there.
 * Undefined when nothing tells a window (a replayed cassette).
 */
export function resolveContextWindow(inputs: ContextWindowInputs): ResolvedContextWindow | undefined {
  const { detected, configured } = inputs;
  let tokens: number;
  let source: string;
  let assumedOllamaDefault = false;
  if (detected?.tokens !== undefined) {
    tokens = detected.tokens;
    source = detected.source ?? 'the server';
    if (configured !== undefined && configured < tokens) {
      tokens = configured;
      source = `LLM_CONTEXT_WINDOW (the server allows ${detected.tokens}: ${source})`;
    }
  } else if (detected?.ollama && inputs.ollamaContextLength !== undefined) {
    tokens = inputs.ollamaContextLength;
    source = 'OLLAMA_CONTEXT_LENGTH';
  } else if (configured !== undefined) {
    tokens = configured;
    source = 'LLM_CONTEXT_WINDOW';
  } else if (detected?.ollama) {
    tokens = OLLAMA_DEFAULT_CONTEXT;
    source = `Ollama's default (${OLLAMA_DEFAULT_CONTEXT}; the model is not loaded and OLLAMA_CONTEXT_LENGTH is not set)`;
    assumedOllamaDefault = true;
  } else if (inputs.profile !== undefined) {
    tokens = inputs.profile;
    source = 'model profile';
  } else {
    return undefined;
  }
  if (detected?.modelMaxTokens !== undefined && tokens > detected.modelMaxTokens) {
    tokens = detected.modelMaxTokens;
    source = `${source}, capped at the model's ${detected.modelMaxTokens}`;
  }
  return { tokens, source, assumedOllamaDefault };
}
