/// `CastLike`: casts the first input to the element type of the second.
struct CastLikeKernel: Kernel {
    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        let input = try inputs.tensor(0)
        let target = try inputs.tensor(1).elementType
        return [.tensor(Tensor(checkedShape: input.shape, try CastKernel.convert(input.storage, to: target)))]
    }
}
