// Times Argon2id hashes in a release build.
//
//   Argon2Benchmark [m t p [runs]]   N hashes of m KiB, t passes, p lanes; prints each time and the median
//   Argon2Benchmark --serve          one hash per stdin line "m t p", answering its time in ms
//                                    (Benchmarks/argon2/compare.py interleaves this with argon2-cffi)
import Argon2
import Foundation

func timeOneHash(_ parameters: Argon2Parameters) throws -> Double {
    let password = Array("benchmark password".utf8)
    let salt = Array("benchmark-salt16".utf8)
    let start = DispatchTime.now().uptimeNanoseconds
    _ = try Argon2id.hash(password: password, salt: salt, parameters: parameters, length: 32)
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
}

func parameters(_ fields: [Substring]) -> Argon2Parameters? {
    guard fields.count == 3, let m = UInt32(fields[0]), let t = UInt32(fields[1]), let p = UInt32(fields[2]) else {
        return nil
    }
    return Argon2Parameters(memoryKiB: m, iterations: t, parallelism: p)
}

let arguments = CommandLine.arguments.dropFirst().map { Substring($0) }
if arguments.first == "--serve" {
    while let line = readLine() {
        let answer: String
        if let parameters = parameters(line.split(separator: " ")) {
            do { answer = String(format: "%.3f", try timeOneHash(parameters)) } catch { answer = "error: \(error)" }
        } else {
            answer = "error: expected 'm t p'"
        }
        // FileHandle writes unbuffered, so the reader sees each answer at once.
        FileHandle.standardOutput.write(Data((answer + "\n").utf8))
    }
} else {
    let shapes: [Argon2Parameters]
    var runs = 11
    if arguments.count >= 3, let given = parameters(Array(arguments.prefix(3))) {
        shapes = [given]
        if arguments.count >= 4, let count = Int(arguments[3]) { runs = count }
    } else {
        shapes = [.rfc9106LowMemory, .owaspMinimum]
    }
    for shape in shapes {
        var times: [Double] = []
        for _ in 0..<runs { times.append(try timeOneHash(shape)) }
        times.sort()
        let label = "m=\(shape.memoryKiB) t=\(shape.iterations) p=\(shape.parallelism)"
        print("\(label): median \(String(format: "%.2f", times[times.count / 2])) ms over \(runs) runs"
            + " (min \(String(format: "%.2f", times[0])), max \(String(format: "%.2f", times[times.count - 1])))")
    }
}
