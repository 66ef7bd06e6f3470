// What a generation may ask of each provider and what it costs, from the
// capabilities and price tables of GET /api/v1/providers. The server checks
// and prices again; this only lets the form explain itself before sending.

/** modelOf returns the model with the id, or the provider's first. */
export function modelOf(caps, id) {
  const models = caps?.models || [];
  return models.find((m) => m.id === id) || models[0] || null;
}

function priceTable(caps, model) {
  return model?.price || caps?.price || {};
}

function lookup(table, resolution) {
  if (!table) return null;
  if (resolution in table) return table[resolution];
  if ('*' in table) return table['*'];
  return null;
}

/**
 * estimateCents prices one variant: per image for text_to_image, else per
 * second of the duration. null means the tables have no price for it.
 */
export function estimateCents(caps, modelID, { kind, resolution, duration }) {
  const model = modelOf(caps, modelID);
  const table = priceTable(caps, model);
  if (kind === 'text_to_image') return lookup(table.per_image_cents, resolution);
  const perSecond = lookup(table.per_second_cents, resolution);
  return perSecond === null ? null : perSecond * Math.max(0, duration);
}

/**
 * problems lists why a model cannot take the settings, as catalogue keys
 * with their parameters; an empty list means it can.
 */
export function problems(caps, modelID, s) {
  const model = modelOf(caps, modelID);
  if (!model) return [{ key: 'generate.reason.no_model' }];
  const out = [];
  if (s.kind && model.kinds && !model.kinds.includes(s.kind)) {
    out.push({ key: 'generate.reason.kind', params: { value: s.kind } });
  }
  if (model.resolutions && !model.resolutions.includes(s.resolution)) {
    out.push({ key: 'generate.reason.resolution', params: { value: s.resolution } });
  }
  if (model.aspect_ratios && !model.aspect_ratios.includes(s.aspect_ratio)) {
    out.push({ key: 'generate.reason.aspect', params: { value: s.aspect_ratio } });
  }
  if (s.kind !== 'text_to_image') {
    if (Array.isArray(model.durations) && model.durations.length > 0) {
      if (!model.durations.includes(s.duration)) {
        out.push({ key: 'generate.reason.durations',
          params: { value: s.duration, allowed: model.durations.join(', ') } });
      }
    } else if ((model.min_duration && s.duration < model.min_duration)
      || (model.max_duration && s.duration > model.max_duration)) {
      out.push({ key: 'generate.reason.duration_range',
        params: { value: s.duration, min: model.min_duration || 1,
          max: model.max_duration || 60 } });
    }
  }
  if (s.prompt && model.max_prompt_chars && [...s.prompt].length > model.max_prompt_chars) {
    out.push({ key: 'generate.reason.prompt', params: { max: model.max_prompt_chars } });
  }
  return out;
}
