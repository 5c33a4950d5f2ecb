public import ModelWatchStore

extension SeriesSelector {
    /// Parses a series selector (`name{label op "value", …}`) with the PromQL parser.
    /// - Throws: `QueryError` with code `.parse` and the position when the text is not a plain
    ///   instant-vector selector (no offset, no `@`, no range).
    public init(parsing text: String) throws(QueryError) {
        let expression = try Parser.parse(text)
        guard case .vectorSelector(let selector) = expression, selector.offset == 0, selector.at == nil else {
            throw QueryError(.parse, "expected a series selector such as name{label=\"value\"}", at: expression.position)
        }
        self.init(matchers: selector.matchers)
    }
}
