import Torch
print("libtorch \(Torch.version), threads \(Torch.numThreads), cuda \(Torch.cudaAvailable)")
