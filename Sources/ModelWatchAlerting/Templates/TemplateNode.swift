/// A parsed template: text, actions, and the `if`/`with`/`range` blocks around them.
indirect enum TemplateNode: Sendable {
    case text(String)
    case action(TemplatePipeline)
    /// `if` or `with` (`binds` is true for `with`: the value becomes the dot).
    case conditional(TemplatePipeline, binds: Bool, then: [TemplateNode], otherwise: [TemplateNode])
    case loop(TemplatePipeline, body: [TemplateNode], otherwise: [TemplateNode])
}

/// `$x := a | b c` — commands whose output feeds the next one's last argument.
struct TemplatePipeline: Sendable {
    /// Variables declared (`:=`) or assigned (`=`) with the result; two for `range $k, $v :=`.
    var variables: [String] = []
    var declares = true
    var commands: [[TemplateOperand]] = []
    /// Byte offset in the template text, for error positions.
    var offset: Int
}

/// One operand of a command.
indirect enum TemplateOperand: Sendable {
    /// `.` or `.A.b`: fields of the dot.
    case dot([String])
    /// `$x` or `$x.a`.
    case variable(String, [String])
    /// A function name, with its offset for error positions.
    case function(String, offset: Int)
    case literal(TemplateValue)
    /// `(pipeline)` and fields after it.
    case nested(TemplatePipeline, [String])
}
