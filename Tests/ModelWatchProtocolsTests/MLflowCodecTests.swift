import Testing

@testable import ModelWatchProtocols

@Suite("MLflow codec")
struct MLflowCodecTests {
    let codec = MLflowCodec()

    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test("dataframe_split and dataframe_records give the same column tensors")
    func dataframes() throws {
        let split = try self.codec.decodeRequest(
            self.bytes(#"{"dataframe_split":{"columns":["age","city"],"data":[[42,"Oslo"],[37,"Lima"],[29,"Pune"]]}}"#)
        )
        let records = try self.codec.decodeRequest(
            self.bytes(#"{"dataframe_records":[{"age":42,"city":"Oslo"},{"age":37,"city":"Lima"},{"age":29,"city":"Pune"}]}"#)
        )
        #expect(split == records)
        #expect(split.batchSize == 3)
        #expect(
            split.tensors == [
                Tensor(name: "age", datatype: "FP64", shape: [3], values: .numbers([42, 37, 29])),
                Tensor(name: "city", datatype: "BYTES", shape: [3], values: .strings(["Oslo", "Lima", "Pune"])),
            ])
    }

    @Test("tensor forms follow the TF Serving conventions")
    func tensorForms() throws {
        let instances = try self.codec.decodeRequest(self.bytes(#"{"instances":[[1,2],[3,4]]}"#))
        #expect(instances.tensors == [Tensor(name: "instances", datatype: "FP64", shape: [2, 2], values: .numbers([1, 2, 3, 4]))])
        let inputs = try self.codec.decodeRequest(self.bytes(#"{"inputs":{"x":[[1,2]]}}"#))
        #expect(inputs.tensors.map(\.name) == ["x"])
    }

    @Test("responses: wrapped, named and bare predictions")
    func responses() throws {
        #expect(
            try self.codec.decodeResponse(self.bytes(#"{"predictions":[0,2,1]}"#)).tensors
                == [Tensor(name: "predictions", datatype: "FP64", shape: [3], values: .numbers([0, 2, 1]))])
        #expect(
            try self.codec.decodeResponse(self.bytes(#"{"predictions":{"label":["a","b"],"score":[0.5,0.7]}}"#)).tensors.map(\.name)
                == ["label", "score"])
        #expect(try self.codec.decodeResponse(self.bytes("[0.25, 0.75]")).batchSize == 2)
    }

    @Test(
        "bad payloads are refused with a bounded reason",
        arguments: [
            (#"{"dataframe_split":{"columns":["a","b"],"data":[[1,2],[3]]}}"#, PayloadDecodeFailure.Reason.shapeMismatch),
            (#"{"dataframe_split":{"columns":["a"]}}"#, .missingField),
            (#"{"dataframe_records":[{"a":1},{"b":2}]}"#, .missingField),
            (#"{"dataframe_records":[{"a":1},{"a":"x"}]}"#, .wrongType),
            (#"{"columns":["a"],"data":[[1]]}"#, .missingField),
            (#"{"dataframe_split":"#, .invalidJSON),
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
