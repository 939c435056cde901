fn main() { let _ = servo::ServoBuilder::default; println!("servo-cos"); }
