/// Consecutive elements with the same key, as groups in order: the answers of one turn, the
/// records of one input line.
extension Sequence {
    public func runs<Key: Equatable>(by key: (Element) -> Key) -> [[Element]] {
        var groups: [[Element]] = []
        for element in self {
            if let last = groups.last?.last, key(last) == key(element) {
                groups[groups.count - 1].append(element)
            } else {
                groups.append([element])
            }
        }
        return groups
    }
}
