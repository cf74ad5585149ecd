// The old path of the tokenizer, kept while the LLM orchestrator imports it from here; it lives in python-text.
export { tokenizePython } from '../../python-text';
