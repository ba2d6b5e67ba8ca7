// The UI's own dictionaries, so tests look for the same strings the user sees.
import en from '../src/i18n/en.json' with { type: 'json' };
import zh from '../src/i18n/zh-CN.json' with { type: 'json' };

export { en, zh };
