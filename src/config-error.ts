/** A setting that is missing, malformed or contradicts another; the message names the variable (never a secret's value). */
export class ConfigError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigError';
  }
}
