import Testing

@testable import ModelWatchProtocols

@Suite("Open Inference Protocol v2 codec")
struct OpenInferenceCodecTests {
    let codec = OpenInferenceCodec()

    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test("the specification's request example: named inputs, shapes, datatypes, booleans as 0/1")
    func specificationRequest() throws {
        let body =
            #"{"id":"42","inputs":[{"name":"input0","shape":[2,2],"datatype":"UINT32","data":[1,2,3,4]},{"name":"input1","shape":[3],"datatype":"BOOL","data":[true,false,true]}]}"#
        let payload = try self.codec.decodeRequest(self.bytes(body))
        #expect(payload.batchSize == 2)
        #expect(
            payload.tensors == [
                Tensor(name: "input0", datatype: "UINT32", shape: [2, 2], values: .numbers([1, 2, 3, 4])),
                Tensor(name: "input1", datatype: "BOOL", shape: [3], values: .numbers([1, 0, 1])),
            ])
    }

    @Test("a real MLServer answer: model, version and the predicted labels")
    func mlserverResponse() throws {
        let body =
            #"{"model_name":"iris","model_version":"v1","id":"r1","parameters":{},"outputs":[{"name":"predict","shape":[2,1],"datatype":"INT64","parameters":{"content_type":"np"},"data":[0,2]}]}"#
        let payload = try self.codec.decodeResponse(self.bytes(body))
        #expect(payload.model == "iris")
        #expect(payload.version == "v1")
        #expect(payload.batchSize == 2)
        #expect(payload.tensors == [Tensor(name: "predict", datatype: "INT64", shape: [2, 1], values: .numbers([0, 2]))])
    }

    @Test("nested row-major data and BYTES strings are flattened")
    func nestedAndBytes() throws {
        let body =
            #"{"inputs":[{"name":"x","shape":[2,3],"datatype":"FP32","data":[[1,2,3],[4,5,6]]},{"name":"text","shape":[2],"datatype":"BYTES","data":["hello","wörld"]}]}"#
        let payload = try self.codec.decodeRequest(self.bytes(body))
        #expect(payload.tensors[0].values == .numbers([1, 2, 3, 4, 5, 6]))
        #expect(payload.tensors[1].values == .strings(["hello", "wörld"]))
    }

    @Test("the binary-tensor extension: sizes are read from the JSON header, the blob is not parsed")
    func binaryExtension() throws {
        let header = #"{"inputs":[{"name":"input0","shape":[2,2],"datatype":"FP32","parameters":{"binary_data_size":16}}]}"#
        let body = self.bytes(header) + [UInt8](repeating: 0xAB, count: 16)
        let payload = try self.codec.decodeRequest(body, headerLength: header.utf8.count)
        #expect(payload.tensors == [Tensor(name: "input0", datatype: "FP32", shape: [2, 2], values: .binary(byteCount: 16))])
        #expect(throws: PayloadDecodeFailure.self) { try self.codec.decodeRequest(body, headerLength: body.count + 1) }
        let short = self.bytes(header) + [UInt8](repeating: 0, count: 8)
        #expect(throws: PayloadDecodeFailure(.invalidBinaryHeader, "tensors declare 16 binary bytes, the body has 8")) {
            try self.codec.decodeRequest(short, headerLength: header.utf8.count)
        }
    }

    @Test(
        "each datatype's element size checks a binary tensor's byte count",
        arguments: [
            ("BOOL", 1), ("UINT8", 1), ("INT8", 1), ("UINT16", 2), ("INT16", 2), ("FP16", 2), ("BF16", 2), ("UINT32", 4), ("INT32", 4),
            ("FP32", 4), ("UINT64", 8), ("INT64", 8), ("FP64", 8), ("BYTES", 0),
        ])
    func datatypeWidths(_ datatype: String, width: Int) throws {
        func decode(declaring bytes: Int) throws(PayloadDecodeFailure) -> DecodedPayload {
            let header = #"{"inputs":[{"name":"x","shape":[3],"datatype":"\#(datatype)","parameters":{"binary_data_size":\#(bytes)}}]}"#
            return try self.codec.decodeRequest(self.bytes(header) + [UInt8](repeating: 0, count: bytes), headerLength: header.utf8.count)
        }
        #expect(try decode(declaring: 3 * width).tensors.first?.values == .binary(byteCount: 3 * width))
        if width > 0 {
            #expect(throws: PayloadDecodeFailure.self) { try decode(declaring: 3 * width + 1) }
        } else {
            // BYTES elements vary in size: any count goes.
            #expect(try decode(declaring: 7).tensors.first?.values == .binary(byteCount: 7))
        }
    }

    @Test(
        "bad payloads are refused with a bounded reason",
        arguments: [
            (#"{"inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","data":[1,2,3]}]}"#, PayloadDecodeFailure.Reason.shapeMismatch),
            (#"{"inputs":[{"name":"x","shape":[1],"datatype":"FP128","data":[1]}]}"#, .unknownDatatype),
            (#"{"inputs":[{"name":"x","shape":[-1],"datatype":"FP32","data":[1]}]}"#, .invalidShape),
            (#"{"inputs":[{"name":"x","shape":[1.5],"datatype":"FP32","data":[1]}]}"#, .invalidShape),
            (#"{"inputs":[{"name":"x","shape":[1,"4"],"datatype":"FP32","data":[1,2,3,4]}]}"#, .invalidShape),
            (#"{"inputs":[{"name":"x","shape":"1","datatype":"FP32","data":[1]}]}"#, .missingField),
            (#"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":["one"]}]}"#, .wrongType),
            (#"{"inputs":[{"name":"x","shape":[1],"datatype":"BOOL","data":[1]}]}"#, .wrongType),
            (#"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32"}]}"#, .missingField),
            (#"{"inputs":[{"shape":[1],"datatype":"FP32","data":[1]}]}"#, .missingField),
            (#"{"inputs":{"name":"x"}}"#, .wrongType),
            (#"{"id":"no inputs"}"#, .missingField),
            (#"[1,2,3]"#, .notAnObject),
            (#"{"inputs":[{"name":"#, .invalidJSON),
            (#"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[NaN]}]}"#, .invalidJSON),
            (#"{"inputs":[{"name":"x","shape":[1000000,1000000,1000000],"datatype":"FP32","data":[1]}]}"#, .invalidShape),
            (#"{"inputs":[{"name":"x","shape":[4],"datatype":"FP32","parameters":{"binary_data_size":15}}]}"#, .shapeMismatch),
        ]
    )
    func badPayloads(body: String, reason: PayloadDecodeFailure.Reason) {
        #expect {
            try self.codec.decodeRequest(self.bytes(body), headerLength: body.contains("binary_data_size") ? body.utf8.count : nil)
        } throws: { error in
            (error as? PayloadDecodeFailure)?.reason == reason
        }
    }
}
