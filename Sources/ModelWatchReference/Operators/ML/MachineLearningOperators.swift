/// The `ai.onnx.ml` operators, by name.
enum MachineLearningOperators {
    static let all: [(String, @Sendable (KernelContext) throws(ReferenceError) -> any Kernel)] = [
        ("TreeEnsembleClassifier", { context throws(ReferenceError) in try TreeEnsembleClassifierKernel(context) }),
        ("TreeEnsemble", { context throws(ReferenceError) in try TreeEnsembleKernel(context) }),
        ("TreeEnsembleRegressor", { context throws(ReferenceError) in try TreeEnsembleRegressorKernel(context) }),
        ("LinearClassifier", { context throws(ReferenceError) in try LinearClassifierKernel(context) }),
        ("LinearRegressor", { context throws(ReferenceError) in try LinearRegressorKernel(context) }),
        ("SVMClassifier", { context throws(ReferenceError) in try SVMClassifierKernel(context) }),
        ("SVMRegressor", { context throws(ReferenceError) in try SVMRegressorKernel(context) }),
        ("Scaler", { context throws(ReferenceError) in try ScalerKernel(context) }),
        ("Imputer", { context throws(ReferenceError) in try ImputerKernel(context) }),
        ("Normalizer", { context throws(ReferenceError) in try NormalizerKernel(context) }),
        ("Binarizer", { context throws(ReferenceError) in try BinarizerKernel(context) }),
        ("OneHotEncoder", { context throws(ReferenceError) in try OneHotEncoderKernel(context) }),
        ("ArrayFeatureExtractor", { _ throws(ReferenceError) in ArrayFeatureExtractorKernel() }),
        ("LabelEncoder", { context throws(ReferenceError) in try LabelEncoderKernel(context) }),
        ("ZipMap", { context throws(ReferenceError) in try ZipMapKernel(context) }),
    ]
}
