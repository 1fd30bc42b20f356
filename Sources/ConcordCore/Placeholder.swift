enum ConcordCorePlaceholder {}
