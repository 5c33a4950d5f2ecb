import Testing

@testable import ModelWatch

@Suite("Query API requests")
struct APIRequestTests {
    @Test("the query string and a form body are read as Prometheus reads them: percent escapes, + as space, repeated names")
    func parameters() {
        let request = APIRequest(
            method: "POST", uri: "/api/v1/series?match[]=up&start=1&match%5B%5D=%7Bjob%3D%22a%20b%22%7D",
            contentType: "application/x-www-form-urlencoded; charset=utf-8", body: Array("end=2&query=sum+by+(x)+(y)&empty=".utf8))
        #expect(request.path == "/api/v1/series")
        #expect(request.all("match[]") == ["up", #"{job="a b"}"#])
        #expect(request["start"] == "1")
        #expect(request["end"] == "2")
        #expect(request["query"] == "sum by (x) (y)")
        #expect(request["empty"] == "")
        #expect(request["missing"] == nil)
    }

    @Test("a GET body and a body of another type are not parameters; malformed escapes are kept as written")
    func ignoredBodies() {
        let get = APIRequest(
            method: "GET", uri: "/api/v1/query?query=a%ZZb%2", contentType: "application/x-www-form-urlencoded", body: Array("time=1".utf8))
        #expect(get["query"] == "a%ZZb%2")
        #expect(get["time"] == nil)
        let json = APIRequest(method: "POST", uri: "/api/v1/query", contentType: "application/json", body: Array("query=up".utf8))
        #expect(json["query"] == nil)
    }

    @Test("error bodies carry Prometheus's errorType with its HTTP status")
    func errors() {
        let cases: [(APIErrorType, Int, String)] = [
            (.badData, 400, "bad_data"), (.execution, 422, "execution"), (.timeout, 503, "timeout"), (.canceled, 503, "canceled"),
            (.internal, 500, "internal"), (.unavailable, 503, "unavailable"), (.notFound, 404, "not_found"),
        ]
        for (type, status, name) in cases {
            let response = APIResponse.error(type, "a \"quoted\" reason")
            #expect(response.status == status)
            #expect(response.body == #"{"status":"error","errorType":"\#(name)","error":"a \"quoted\" reason"}"#)
        }
        #expect(PrometheusAPI.isLabelName("__name__") && PrometheusAPI.isLabelName("le") && PrometheusAPI.isLabelName("a1_B"))
        #expect(!PrometheusAPI.isLabelName("1a") && !PrometheusAPI.isLabelName("a-b") && !PrometheusAPI.isLabelName(""))
    }
}
