// Times Argon2id hashes in a release build.
//
//   Argon2Benchmark [m t p [runs]]   N hashes of m KiB, t passes, p lanes; prints each time and the median
//   Argon2Benchmark --serve          one hash per stdin line "m t p", answering its wall and CPU time in ms
//                                    (Benchmarks/argon2/compare.py interleaves this with argon2-cffi)
import Argon2
import Foundation

/// CPU time of the whole process (every thread, user and system) in ms.
func processCPUTime() -> Double {
    var usage = rusage()
    #if os(Linux)
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    func ms(_ time: timeval) -> Double { Double(time.tv_sec) * 1e3 + Double(time.tv_usec) / 1e3 }
    return ms(usage.ru_utime) + ms(usage.ru_stime)
}

/// Wall-clock and CPU time of one hash, in ms.
func timeOneHash(_ parameters: Argon2Parameters) throws -> (wall: Double, cpu: Double) {
    let password = Array("benchmark password".utf8)
    let salt = Array("benchmark-salt16".utf8)
    let cpuStart = processCPUTime()
    let start = DispatchTime.now().uptimeNanoseconds
    _ = try Argon2id.hash(password: password, salt: salt, parameters: parameters, length: 32)
    let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
    return (wall, processCPUTime() - cpuStart)
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
            do {
                let time = try timeOneHash(parameters)
                answer = String(format: "%.3f %.3f", time.wall, time.cpu)
            } catch {
                answer = "error: \(error)"
            }
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
        for _ in 0..<runs { times.append(try timeOneHash(shape).wall) }
        times.sort()
        let label = "m=\(shape.memoryKiB) t=\(shape.iterations) p=\(shape.parallelism)"
        print("\(label): median \(String(format: "%.2f", times[times.count / 2])) ms over \(runs) runs"
            + " (min \(String(format: "%.2f", times[0])), max \(String(format: "%.2f", times[times.count - 1])))")
    }
}
