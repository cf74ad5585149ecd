// Use cases and services of Test Agent's application layer. Each area adds its exports here.
export {};
