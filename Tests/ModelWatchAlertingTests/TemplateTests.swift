import Testing

@testable import ModelWatchAlerting

@Suite struct TemplateTests {
    func expand(_ text: String, labels: [String: String] = ["instance": "a:9090", "job": "api"], value: Double = 0.5) -> String {
        RuleTemplate.expand(text, rule: "Test", labels: labels, value: value, externalLabels: ["cluster": "eu1"])
    }

    @Test(arguments: [
        ("{{ $labels.instance }} of {{ $labels.job }}", "a:9090 of api"),
        ("{{ $value }}", "0.5"),
        ("{{ .Labels.job }} {{ .Value }}", "api 0.5"),
        ("{{ $externalLabels.cluster }}", "eu1"),
        ("{{ $labels.missing }}|", "|"),
        ("{{ 1234567.0 | humanize }}", "1.235M"),
        ("{{ 0.000123 | humanize }}", "123u"),
        ("{{ 0 | humanize }}", "0"),
        ("{{ 2048.0 | humanize1024 }}", "2ki"),
        ("{{ 0.1234 | humanizePercentage }}", "12.34%"),
        ("{{ 90061.0 | humanizeDuration }}", "1d 1h 1m 1s"),
        ("{{ 3.5 | humanizeDuration }}", "3.5s"),
        ("{{ 0.25 | humanizeDuration }}", "250ms"),
        ("{{ printf \"%.2f\" $value }}", "0.50"),
        ("{{ printf \"%s=%d\" \"a\" 3 }}", "a=3"),
        ("{{ printf \"%d\" $value }}", "%!d(float64=0.5)"),
        ("{{ toUpper \"abc\" }} {{ toLower \"ABC\" }} {{ title \"hello world\" }}", "ABC abc Hello World"),
        ("{{ reReplaceAll \":.*\" \"\" $labels.instance }}", "a"),
        ("{{ reReplaceAll \"(a):(\\\\d+)\" \"$2-$1\" $labels.instance }}", "9090-a"),
        ("{{ if gt $value 0.4 }}high{{ else }}low{{ end }}", "high"),
        ("{{ if eq $labels.job \"web\" }}web{{ else if eq $labels.job \"api\" }}api{{ end }}", "api"),
        ("{{ with $labels.job }}job={{ . }}{{ end }}{{ with $labels.none }}x{{ else }}none{{ end }}", "job=apinone"),
        ("{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}", "instance=a:9090;job=api;"),
        ("a  {{- \" b \" -}}  c", "a b c"),
        ("{{/* a comment */}}x", "x"),
        ("{{ $x := \"y\" }}{{ $x }}", "y"),
        ("{{ \"x\" | printf \"<%s>\" }}", "<x>"),
        ("{{ len $labels }}", "2"),
        ("{{ 1e6 }} {{ 100000.0 }}", "1e+06 100000"),
        ("{{ match \"^a\" $labels.instance }}", "true"),
        ("{{ stripPort $labels.instance }}", "a"),
    ])
    func rendersAsPrometheusDoes(_ template: String, _ expected: String) {
        #expect(self.expand(template) == expected)
    }

    @Test func aFailingFunctionRendersTheErrorText() {
        let text = self.expand("{{ humanize \"abc\" }}")
        #expect(text.hasPrefix("<error expanding template: error executing template __alert_Test: template: __alert_Test:1:"))
        #expect(
            text.contains(
                ":1:115: executing \"__alert_Test\" at <humanize \"abc\">: error calling humanize: strconv.ParseFloat: parsing \"abc\": invalid syntax>"
            ))
    }

    @Test func comparingAFloatWithAnIntegerFailsAsInGo() {
        #expect(
            self.expand("{{ if gt $value 1 }}x{{ end }}").hasSuffix(
                ":1:118: executing \"__alert_Test\" at <gt $value 1>: error calling gt: incompatible types for comparison>"))
    }

    @Test func anUnknownFunctionIsAParseError() {
        #expect(throws: TemplateError.self) { try RuleTemplate.check("{{ humanizeFoo $value }}", rule: "Test") }
        #expect(
            self.expand("{{ nope }}")
                == "<error expanding template: error parsing template __alert_Test: template: __alert_Test:1: function \"nope\" not defined>"
        )
    }

    @Test(arguments: ["{{ if true }}x", "{{ end }}", "{{ $labels.job", "{{ printf \"x }}"])
    func malformedTemplatesAreRefused(_ text: String) {
        #expect(throws: TemplateError.self) { try RuleTemplate.check(text, rule: "Test") }
    }

    @Test func textWithoutActionsIsKeptAsIs() {
        #expect(self.expand("plain {text}") == "plain {text}")
    }
}
