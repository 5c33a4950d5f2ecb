import Testing

@testable import ModelWatchProtocols

@Suite("TF Serving REST codec")
struct TFServingCodecTests {
    let codec = TFServingCodec()

    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test("the REST API's row-format example: named inputs gathered across instances")
    func rowFormat() throws {
        let body =
            #"{"signature_name":"","instances":[{"tag":"foo","signal":[1,2,3,4,5],"sensor":[[1,2],[3,4]]},{"tag":"bar","signal":[3,4,1,2,5],"sensor":[[4,5],[6,8]]}]}"#
        let payload = try self.codec.decodeRequest(self.bytes(body))
        #expect(payload.batchSize == 2)
        #expect(
            payload.tensors == [
                Tensor(name: "tag", datatype: "BYTES", shape: [2], values: .strings(["foo", "bar"])),
                Tensor(name: "signal", datatype: "FP64", shape: [2, 5], values: .numbers([1, 2, 3, 4, 5, 3, 4, 1, 2, 5])),
                Tensor(name: "sensor", datatype: "FP64", shape: [2, 2, 2], values: .numbers([1, 2, 3, 4, 4, 5, 6, 8])),
            ])
    }

    @Test("the columnar example decodes to the same tensors")
    func columnarFormat() throws {
        let body = #"{"inputs":{"tag":["foo","bar"],"signal":[[1,2,3,4,5],[3,4,1,2,5]],"sensor":[[[1,2],[3,4]],[[4,5],[6,8]]]}}"#
        let columnar = try self.codec.decodeRequest(self.bytes(body))
        let rows = try self.codec.decodeRequest(
            self.bytes(
                #"{"instances":[{"tag":"foo","signal":[1,2,3,4,5],"sensor":[[1,2],[3,4]]},{"tag":"bar","signal":[3,4,1,2,5],"sensor":[[4,5],[6,8]]}]}"#
            )
        )
        #expect(columnar == rows)
    }

    @Test("unnamed instances, b64 values and NaN/Infinity literals")
    func unnamedB64AndNonFinite() throws {
        let plain = try self.codec.decodeRequest(self.bytes(#"{"instances":[[5.1,NaN,1.4,Infinity],[6.2,3.4,5.4,2.3]]}"#))
        #expect(plain.tensors.count == 1)
        #expect(plain.tensors[0].name == "instances")
        #expect(plain.tensors[0].shape == [2, 4])
        let binary = try self.codec.decodeRequest(self.bytes(#"{"instances":[{"b64":"aGVsbG8="},{"b64":"d29ybGQh"}]}"#))
        #expect(binary.tensors == [Tensor(name: "instances", datatype: "BYTES", shape: [2], values: .binary(byteCount: 11))])
    }

    @Test("responses: predictions, columnar outputs, classify pairs and regress values")
    func responses() throws {
        let predictions = try self.codec.decodeResponse(self.bytes(#"{"predictions":[[0.1,0.9],[0.7,0.3]]}"#))
        #expect(
            predictions.tensors == [Tensor(name: "predictions", datatype: "FP64", shape: [2, 2], values: .numbers([0.1, 0.9, 0.7, 0.3]))])
        let outputs = try self.codec.decodeResponse(self.bytes(#"{"outputs":{"scores":[[0.1,0.9]],"classes":[[1]]}}"#))
        #expect(outputs.tensors.map(\.name) == ["scores", "classes"])
        let classify = try self.codec.decodeResponse(self.bytes(#"{"result":[[["cat",0.8],["dog",0.2]],[["cat",0.1],["dog",0.9]]]}"#))
        #expect(
            classify.tensors == [
                Tensor(name: "labels", datatype: "BYTES", shape: [2, 2], values: .strings(["cat", "dog", "cat", "dog"])),
                Tensor(name: "scores", datatype: "FP64", shape: [2, 2], values: .numbers([0.8, 0.2, 0.1, 0.9])),
            ])
        let regress = try self.codec.decodeResponse(self.bytes(#"{"result":[3.5,2.25]}"#))
        #expect(regress.tensors == [Tensor(name: "result", datatype: "FP64", shape: [2], values: .numbers([3.5, 2.25]))])
    }

    @Test(
        "bad payloads are refused with a bounded reason",
        arguments: [
            (#"{"instances":[[1,2],[3]]}"#, PayloadDecodeFailure.Reason.shapeMismatch),
            (#"{"instances":[{"a":1,"b":2},{"a":3}]}"#, .missingField),
            (#"{"instances":[[1,"two"]]}"#, .wrongType),
            (#"{"instances":[null]}"#, .wrongType),
            (#"{"instances":{"a":1}}"#, .wrongType),
            (#"{"signature_name":"x"}"#, .missingField),
            (#"[1,2]"#, .notAnObject),
            (#"{"instances":[1,2"#, .invalidJSON),
        ]
    )
    func badPayloads(body: String, reason: PayloadDecodeFailure.Reason) {
        #expect {
            try self.codec.decodeRequest(self.bytes(body))
        } throws: { error in
            (error as? PayloadDecodeFailure)?.reason == reason
        }
    }
}
