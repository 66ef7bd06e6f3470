// Package storage keeps Reelforge's media files (uploads, renders, thumbnails,
// subtitles) behind one small interface, Disk, so the rest of the studio does
// not care whether bytes live on the local file system or in an
// S3-compatible bucket (AWS S3, MinIO, Aliyun OSS, Qiniu Kodo).
//
// Files are addressed by keys: relative slash-separated paths such as
// "projects/42/renders/final.mp4". ValidateKey defines the accepted alphabet
// and every Disk method enforces it, so a key taken from a request can never
// name anything outside the disk.
//
// Two implementations exist:
//
//   - Local stores files below a root directory, opened through os.Root so a
//     key cannot escape it, and serves them over HTTP with its own
//     HMAC-signed, expiring URLs (see Local.Handler).
//   - S3 stores objects in a bucket through minio-go and hands out presigned
//     URLs, or plain CDN URLs when a CDN sits in front of the bucket.
//
// Copy moves a file between two disks as a stream, for example from a fast
// local "hot" disk to a cheap object-storage "cold" disk after a render.
package storage
