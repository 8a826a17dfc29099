import Foundation
@testable import NeuralNet

/// The PyTorch golden values that tools/make_goldens.py writes into Tests/NeuralNetTests/Fixtures.
///
/// The test target copies the folder as a resource, so the files are read from `Bundle.module`;
/// when the bundle has no such folder (a test run from an unusual place) they are read next to
/// this source file instead.
enum Fixtures {
    /// Decodes one fixture file, e.g. `Fixtures.load(LayerDocument.self, from: "layers.json")`.
    static func load<Document: Decodable>(_ type: Document.Type, from fileName: String) throws -> Document {
        let data = try Data(contentsOf: url(of: fileName))
        do {
            return try JSONDecoder().decode(Document.self, from: data)
        } catch {
            throw FixtureError("\(fileName) does not match \(Document.self): \(error)")
        }
    }

    static func url(of fileName: String) -> URL {
        if let directory = Bundle.module.url(forResource: "Fixtures", withExtension: nil) {
            return directory.appendingPathComponent(fileName)
        }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // Support
            .deletingLastPathComponent()  // NeuralNetTests
            .appendingPathComponent("Fixtures")
            .appendingPathComponent(fileName)
    }
}

/// A fixture that the tests cannot use: a missing field, an unknown name, a wrong shape.
struct FixtureError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// A tensor as make_goldens.py writes it: the exact float32 values as JSON numbers, a matrix as
/// nested [rows][columns] lists, a vector as a flat list and a count as a bare number.
struct FixtureTensor: Decodable, Sendable, Hashable {
    /// PyTorch's shape: [rows, columns], [count] or [] for a scalar.
    let shape: [Int]
    /// The elements row by row.
    let values: [Float]

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // Numbers are read as Double: every value is an exact float32, and some (subnormal
        // gradients such as 9.8e-45) would be refused by a direct Float decode.
        if let nested = try? container.decode([[Double]].self) {
            let columns = nested.first?.count ?? 0
            guard nested.allSatisfy({ $0.count == columns }) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "rows of different lengths")
            }
            shape = [nested.count, columns]
            values = nested.flatMap { row in row.map { Float($0) } }
        } else if let flat = try? container.decode([Double].self) {
            shape = [flat.count]
            values = flat.map { Float($0) }
        } else {
            shape = []
            values = [Float(try container.decode(Double.self))]
        }
    }

    var rows: Int { shape.count == 2 ? shape[0] : 1 }
    var columns: Int { shape.count == 2 ? shape[1] : values.count }

    /// The only element of a scalar fixture.
    var scalar: Float { values[0] }

    /// The tensor as an engine matrix; a vector becomes one row, as `Parameter` stores 1-D tensors.
    func matrix() throws -> Matrix {
        try Matrix(rows: rows, columns: columns, values: values)
    }

    /// A vector as one column, [count, 1]: the layout of cross-entropy's class indices.
    func columnMatrix() throws -> Matrix {
        try Matrix(rows: values.count, columns: 1, values: values)
    }

    /// Copies the values into `parameter` after checking that PyTorch's shape is the parameter's.
    func load(into parameter: Parameter) throws {
        guard shape == parameter.shape else {
            throw FixtureError("fixture shape \(shape) does not fit parameter '\(parameter.name)' of shape \(parameter.shape)")
        }
        try parameter.value.assign(values)
    }
}

/// Named tensors (a state_dict, a set of gradients) in a fixture.
typealias FixtureStateDictionary = [String: FixtureTensor]
